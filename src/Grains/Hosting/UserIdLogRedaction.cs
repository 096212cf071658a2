using System.Collections;
using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// Every log line that leaves the process, whichever library wrote it, carries user ids only as their pseudonyms:
/// the host's <see cref="ILoggerFactory"/> is wrapped (<see cref="RedactingLoggerFactory"/>), so every logger (Orleans',
/// ASP.NET Core's, Cohortly's) hands its providers a message, structured values, scopes and exception in which
/// <see cref="UserIdScrubber"/> has replaced each user id. Wrapping the factory rather than each provider scrubs a
/// message once however many sinks there are, and covers a provider added later.
/// </summary>
public static class UserIdLogRedaction
{
    /// <summary>
    /// Wraps the registered logger factory, once (a second call does nothing: the silo and the client of one host both
    /// call it). Always on; the pseudonyms are those of <c>Cohortly:PseudonymKey</c> (<see cref="UserPseudonyms"/>).
    /// </summary>
    public static IServiceCollection AddUserIdLogRedaction(this IServiceCollection services, string? pseudonymKey)
    {
        ArgumentNullException.ThrowIfNull(services);
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(Marker))
            {
                return services;
            }
        }

        services.AddLogging();
        ServiceDescriptor? existing = null;
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(ILoggerFactory) && !descriptor.IsKeyedService)
            {
                existing = descriptor;
            }
        }

        var original = existing!;
        services.Remove(original);
        services.AddSingleton<Marker>();
        services.AddSingleton<ILoggerFactory>(sp =>
        {
            var scrubber = new UserIdScrubber(sp.GetService<UserPseudonyms>() ?? UserPseudonyms.For(pseudonymKey));
            return original.ImplementationInstance is ILoggerFactory instance
                ? new RedactingLoggerFactory(instance, scrubber, ownsInner: false)
                : new RedactingLoggerFactory(Create(sp, original), scrubber, ownsInner: true);
        });
        return services;
    }

    private static ILoggerFactory Create(IServiceProvider services, ServiceDescriptor descriptor)
    {
        if (descriptor.ImplementationFactory is { } factory)
        {
            return (ILoggerFactory)factory(services);
        }

        // The standard factory, built as the container builds it (providers, filters from configuration, scopes).
        return descriptor.ImplementationType == typeof(LoggerFactory)
            ? new LoggerFactory(
                services.GetServices<ILoggerProvider>(),
                services.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
                services.GetService<IOptions<LoggerFactoryOptions>>(),
                services.GetService<IExternalScopeProvider>())
            : (ILoggerFactory)ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!);
    }

    private sealed class Marker;
}

/// <summary>A logger factory whose loggers scrub user ids (<see cref="UserIdLogRedaction"/>) before the inner factory's providers see them.</summary>
public sealed class RedactingLoggerFactory(ILoggerFactory inner, UserIdScrubber scrubber, bool ownsInner) : ILoggerFactory
{
    private readonly ConcurrentDictionary<string, ILogger> _loggers = new(StringComparer.Ordinal);

    public UserIdScrubber Scrubber { get; } = scrubber;

    public ILogger CreateLogger(string categoryName) =>
        _loggers.GetOrAdd(categoryName, static (category, self) => new RedactingLogger(self.Inner.CreateLogger(category), self.Scrubber), this);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        if (ownsInner)
        {
            inner.Dispose();
        }
    }

    private ILoggerFactory Inner => inner;
}

/// <summary>
/// One category's logger. A message the level filters out costs one <see cref="ILogger.IsEnabled"/> check and nothing
/// else (the same check the inner logger makes); an enabled one is formatted once and passed on unchanged unless it
/// holds a user id.
/// </summary>
internal sealed class RedactingLogger(ILogger inner, UserIdScrubber scrubber) : ILogger
{
    private const string OriginalFormat = "{OriginalFormat}";

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull =>
        // Scrubbed lazily: a scope is read only when a message inside it is written by a provider that shows scopes.
        state is IEnumerable<KeyValuePair<string, object?>>
            ? inner.BeginScope(new ScrubbedListScope(state, scrubber))
            : inner.BeginScope(new ScrubbedTextScope(state, scrubber));

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }

        var message = formatter is null ? state?.ToString() ?? "" : formatter(state, exception);
        List<string>? known = null;
        var list = state as IReadOnlyList<KeyValuePair<string, object?>>;
        for (var i = 0; list is not null && i < list.Count; i++)
        {
            UserIdScrubber.CollectKnown(list[i].Value, ref known);
        }

        var scrubbedMessage = scrubber.Scrub(message, known);
        List<KeyValuePair<string, object?>>? values = null;
        if (list is not null)
        {
            for (var i = 0; i < list.Count; i++)
            {
                var (key, value) = list[i];
                var scrubbed = scrubber.Scrub(value, known);
                if (values is null && !ReferenceEquals(scrubbed, value))
                {
                    values = new List<KeyValuePair<string, object?>>(list.Count);
                    for (var j = 0; j < i; j++)
                    {
                        values.Add(list[j]);
                    }
                }

                values?.Add(new(key, scrubbed));
            }
        }

        var safeException = exception is null ? null : PseudonymisedException.From(exception, scrubber);
        if (scrubbedMessage is null && values is null && ReferenceEquals(safeException, exception))
        {
            inner.Log(logLevel, eventId, state, exception, formatter!);
            return;
        }

        if (values is null)
        {
            values = [];
            if (state is IReadOnlyList<KeyValuePair<string, object?>> same)
            {
                values.AddRange(same);
            }
            else
            {
                values.Add(new(OriginalFormat, scrubbedMessage ?? message));
            }
        }

        inner.Log(logLevel, eventId, new ScrubbedLogValues(scrubbedMessage ?? message, values), safeException, ScrubbedLogValues.Format);
    }
}

/// <summary>A message and its structured values after scrubbing, as providers read any state (a key-value list and a formatter).</summary>
internal sealed class ScrubbedLogValues(string message, List<KeyValuePair<string, object?>> values) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public static readonly Func<ScrubbedLogValues, Exception?, string> Format = static (state, _) => state.Message;

    public string Message { get; } = message;

    public int Count => values.Count;

    public KeyValuePair<string, object?> this[int index] => values[index];

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => Message;
}

/// <summary>A scope given as key-value pairs (ASP.NET Core's request scope, with its path), scrubbed when first read.</summary>
internal sealed class ScrubbedListScope(object state, UserIdScrubber scrubber) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private KeyValuePair<string, object?>[]? _values;
    private string? _text;

    private KeyValuePair<string, object?>[] Values => _values ??= Scrub();

    public int Count => Values.Length;

    public KeyValuePair<string, object?> this[int index] => Values[index];

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)Values).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => _text ??= ScrubbedTextScope.Text(state, scrubber);

    private KeyValuePair<string, object?>[] Scrub()
    {
        var values = new List<KeyValuePair<string, object?>>();
        foreach (var (key, value) in (IEnumerable<KeyValuePair<string, object?>>)state)
        {
            values.Add(new(key, scrubber.Scrub(value)));
        }

        return [.. values];
    }
}

/// <summary>Any other scope: only its text is shown, scrubbed when first read.</summary>
internal sealed class ScrubbedTextScope(object state, UserIdScrubber scrubber)
{
    private string? _text;

    public override string ToString() => _text ??= Text(state, scrubber);

    internal static string Text(object state, UserIdScrubber scrubber)
    {
        var text = state.ToString() ?? "";
        return scrubber.Scrub(text) ?? text;
    }
}

/// <summary>
/// An exception whose text named a user, as sinks write it: its <see cref="ToString"/> is the original's (type, message,
/// inner exceptions, stack) with user ids replaced, its <see cref="Message"/> the original message scrubbed.
/// </summary>
public sealed class PseudonymisedException : Exception
{
    private readonly string _text;
    private readonly string? _stackTrace;

    private PseudonymisedException(string originalType, string message, string text, string? stackTrace)
        : base(message)
    {
        OriginalType = originalType;
        _text = text;
        _stackTrace = stackTrace;
    }

    public PseudonymisedException()
        : this("", "", "", null)
    {
    }

    public PseudonymisedException(string message)
        : this("", message, message, null)
    {
    }

    public PseudonymisedException(string message, Exception innerException)
        : base(message, innerException)
    {
        OriginalType = "";
        _text = message;
    }

    /// <summary>The full name of the exception's type before scrubbing.</summary>
    public string OriginalType { get; }

    public override string? StackTrace => _stackTrace;

    /// <summary>The exception itself when its text names no user, else a scrubbed copy.</summary>
    public static Exception From(Exception exception, UserIdScrubber scrubber)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(scrubber);
        if (exception is PseudonymisedException || scrubber.Scrub(exception.ToString()) is not { } text)
        {
            return exception;
        }

        var stack = exception.StackTrace is { } s ? scrubber.Scrub(s) ?? s : null;
        return new PseudonymisedException(exception.GetType().FullName ?? exception.GetType().Name, scrubber.Scrub(exception.Message) ?? exception.Message, text, stack);
    }

    public override string ToString() => _text;
}
