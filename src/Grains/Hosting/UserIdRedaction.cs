using System.Diagnostics;
using OpenTelemetry;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// Replaces user ids in exported traces by their pseudonyms (<see cref="UserPseudonyms"/>): a request path under
/// <c>/v1/users/{id}</c> (ASP.NET Core's <c>url.path</c>, also the activity's name when no route matched) and a user
/// grain's id (<c>user/{id}</c>, Orleans' target and source tags). Runs when an activity ends, before any exporter;
/// traces are only built when an OTLP endpoint is configured, so this costs nothing otherwise.
/// </summary>
public sealed class UserIdRedaction(UserPseudonyms pseudonyms) : BaseProcessor<Activity>
{
    private const string UsersPath = "/v1/users/";
    private const string UserGrain = "user/";

    public override void OnEnd(Activity data)
    {
        ArgumentNullException.ThrowIfNull(data);
        List<KeyValuePair<string, string?>>? changed = null;
        foreach (var tag in data.Tags)
        {
            if (tag.Value is { } value && Redact(value) is { } redacted)
            {
                (changed ??= []).Add(new(tag.Key, redacted));
            }
        }

        if (changed is not null)
        {
            foreach (var (key, value) in changed)
            {
                data.SetTag(key, value);
            }
        }

        if (Redact(data.DisplayName) is { } name)
        {
            data.DisplayName = name;
        }
    }

    /// <summary>The value with its user id replaced, or null when it holds none.</summary>
    public string? Redact(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var path = value.IndexOf(UsersPath, StringComparison.Ordinal);
        if (path >= 0)
        {
            var start = path + UsersPath.Length;
            var end = value.IndexOfAny(['/', '?', ' '], start);
            end = end < 0 ? value.Length : end;
            return end > start && value[start] != '{' ? string.Concat(value.AsSpan(0, start), pseudonyms.Of(value[start..end]), value.AsSpan(end)) : null;
        }

        if (value.StartsWith(UserGrain, StringComparison.Ordinal) && value.Length > UserGrain.Length && !value.AsSpan(UserGrain.Length).StartsWith("user~"))
        {
            return UserGrain + pseudonyms.Of(value[UserGrain.Length..]);
        }

        return null;
    }
}
