using System.Diagnostics;
using OpenTelemetry;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// Replaces user ids in exported traces by their pseudonyms (<see cref="UserIdScrubber"/>, the same rules as the logs):
/// a request path under <c>/v1/users/{id}</c> (ASP.NET Core's <c>url.path</c>, also the activity's name when no route
/// matched), a user grain's id (<c>user/{id}</c>, Orleans' target and source tags) and an interactions stream id, in
/// tags and in recorded exceptions. Runs when an activity ends, before any exporter; traces are only built when an
/// OTLP endpoint is configured, so this costs nothing otherwise.
/// </summary>
public sealed class UserIdRedaction(UserPseudonyms pseudonyms) : BaseProcessor<Activity>
{
    private readonly UserIdScrubber _scrubber = new(pseudonyms);

    public override void OnEnd(Activity data)
    {
        ArgumentNullException.ThrowIfNull(data);
        List<KeyValuePair<string, object?>>? changed = null;
        foreach (var tag in data.TagObjects)
        {
            if (_scrubber.Scrub(tag.Value) is var scrubbed && !ReferenceEquals(scrubbed, tag.Value))
            {
                (changed ??= []).Add(new(tag.Key, scrubbed));
            }
        }

        if (changed is not null)
        {
            foreach (var (key, value) in changed)
            {
                data.SetTag(key, value);
            }
        }

        // Recorded exceptions (exception.message, exception.stacktrace) can name a grain; an event's tags are its own collection.
        foreach (var @event in data.Events)
        {
            if (@event.Tags is ActivityTagsCollection tags)
            {
                List<KeyValuePair<string, object?>>? changedEvent = null;
                foreach (var tag in tags)
                {
                    if (_scrubber.Scrub(tag.Value) is var scrubbed && !ReferenceEquals(scrubbed, tag.Value))
                    {
                        (changedEvent ??= []).Add(new(tag.Key, scrubbed));
                    }
                }

                foreach (var (key, value) in changedEvent ?? [])
                {
                    tags[key] = value;
                }
            }
        }

        if (Redact(data.DisplayName) is { } name)
        {
            data.DisplayName = name;
        }
    }

    /// <summary>The value with its user ids replaced, or null when it holds none.</summary>
    public string? Redact(string value) => _scrubber.Scrub(value);
}
