using System.Reflection;
using System.Text.RegularExpressions;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Users;
using Cohortly.Streaming.Redis;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Cohortly.Gateway.Tests;

/// <summary>
/// No log message of Cohortly's takes a user id in clear. The rule, checked over every <c>[LoggerMessage]</c> method
/// of every Cohortly assembly: a parameter named after a user is a <see cref="UserPseudonym"/> (made only by
/// <see cref="UserPseudonyms"/>, a keyed hash); no parameter is of a type that carries a user id (a stream or grain id,
/// an event, anything with a <c>UserId</c>); a stream id is text only in a type that holds the stream provider's
/// describer (<see cref="RedisStreamOptions.DescribeStream"/>, which Cohortly sets to the pseudonym).
/// </summary>
public sealed partial class PseudonymisedLogsTests
{
    private static readonly Assembly[] Cohortly =
    [
        typeof(Program).Assembly,
        typeof(UserGrain).Assembly,
        typeof(RedisStreamCheckpoint).Assembly,
        typeof(Modeling.Training.ModelBundle).Assembly,
        typeof(Demo.Synthetic.SyntheticWorld).Assembly,
        typeof(ServiceDefaults.CohortlyTelemetry).Assembly,
        typeof(Contracts.InteractionEvent).Assembly,
    ];

    [Fact]
    public void No_log_message_takes_a_user_id_in_clear()
    {
        var methods = Cohortly.SelectMany(LogMethods).ToList();
        // The scan sees the log methods (there are dozens), including the erasure's, which takes a pseudonym.
        Assert.True(methods.Count > 30, $"only {methods.Count} [LoggerMessage] methods found");
        Assert.Contains(methods, m => m.Name == "LogErased" && m.GetParameters().Any(p => p.ParameterType == typeof(UserPseudonym)));

        var violations = methods.SelectMany(Violations).ToList();

        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void The_rule_catches_a_log_message_with_a_user_id_in_clear()
    {
        var bad = LogMethods(typeof(BadLogs)).SelectMany(Violations).ToList();

        Assert.Equal(4, bad.Count);
        Assert.Contains(bad, v => v.Contains("userId", StringComparison.Ordinal));
        Assert.Contains(bad, v => v.Contains("StreamId", StringComparison.Ordinal));
        Assert.Contains(bad, v => v.Contains("InteractionEvent", StringComparison.Ordinal));
        Assert.Contains(bad, v => v.Contains("streamId", StringComparison.Ordinal));
        Assert.Empty(LogMethods(typeof(GoodLogs)).SelectMany(Violations));
    }

    private static IEnumerable<MethodInfo> LogMethods(Assembly assembly) =>
        assembly.GetTypes().SelectMany(LogMethods);

    private static IEnumerable<MethodInfo> LogMethods(Type type) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m.GetCustomAttribute<LoggerMessageAttribute>() is not null);

    private static IEnumerable<string> Violations(MethodInfo method)
    {
        var where = $"{method.DeclaringType!.FullName}.{method.Name}";
        foreach (var p in method.GetParameters())
        {
            var type = Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType;
            if (UserName().IsMatch(p.Name ?? "") && type != typeof(UserPseudonym))
            {
                yield return $"{where}: parameter '{p.Name}' names a user but is {type.Name}, not {nameof(UserPseudonym)}";
            }
            else if (type == typeof(StreamId) || type == typeof(GrainId) || type.GetProperty("UserId") is not null)
            {
                yield return $"{where}: parameter '{p.Name}' is a {type.Name}, which carries a user id";
            }
            else if (StreamName().IsMatch(p.Name ?? "") && !HoldsDescriber(method.DeclaringType!))
            {
                yield return $"{where}: parameter '{p.Name}' is a stream id in a type without the provider's stream describer";
            }
        }
    }

    /// <summary>The type can describe a stream only through the describer (a pseudonym in Cohortly).</summary>
    private static bool HoldsDescriber(Type type) =>
        type.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            .Any(f => f.FieldType == typeof(Func<StreamId, string>) || f.FieldType == typeof(RedisStreamOptions));

    [GeneratedRegex("^(user|userId|user_id|users?Id)$", RegexOptions.IgnoreCase)]
    private static partial Regex UserName();

    [GeneratedRegex("^stream(Id)?$", RegexOptions.IgnoreCase)]
    private static partial Regex StreamName();

    private static partial class BadLogs
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "user {UserId}")]
        public static partial void ByUserId(ILogger logger, string userId);

        [LoggerMessage(Level = LogLevel.Information, Message = "stream {Stream}")]
        public static partial void ByStream(ILogger logger, StreamId stream);

        [LoggerMessage(Level = LogLevel.Information, Message = "event {Event}")]
        public static partial void ByEvent(ILogger logger, Contracts.InteractionEvent @event);

        [LoggerMessage(Level = LogLevel.Information, Message = "stream {StreamId}")]
        public static partial void ByStreamText(ILogger logger, string streamId);
    }

    private static partial class GoodLogs
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "user {User}")]
        public static partial void ByPseudonym(ILogger logger, UserPseudonym user);

        [LoggerMessage(Level = LogLevel.Information, Message = "{Count} events")]
        public static partial void Counted(ILogger logger, int count);
    }
}
