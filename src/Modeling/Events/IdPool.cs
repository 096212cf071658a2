namespace Cohortly.Modeling.Events;

/// <summary>
/// One string instance per distinct id for the length of a read: a training read of the interaction log parses a new
/// user id, item id and device string for every event, and at 20 million events those copies (about 110 bytes an
/// event) outweigh the pipeline's own arrays. The pool maps each value to the first instance seen, so every event of a
/// user shares one string. Per read, not global (unlike <see cref="string.Intern(string)"/>): the pool and the ids of
/// users gone from the log are collected with the snapshot. Not thread-safe; one reader owns it.
/// </summary>
public sealed class IdPool
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    /// <summary>Distinct values held.</summary>
    public int Count => _values.Count;

    /// <summary>The instance of <paramref name="value"/> first seen by this pool (<paramref name="value"/> itself if new).</summary>
    public string Share(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (_values.TryGetValue(value, out var shared))
        {
            return shared;
        }

        _values.Add(value, value);
        return value;
    }

    /// <summary>The interaction with its user id, item id and device replaced by the pool's instances.</summary>
    public Interaction Share(Interaction interaction) => interaction with
    {
        UserId = Share(interaction.UserId),
        ItemId = Share(interaction.ItemId),
        Device = interaction.Device is { } device ? Share(device) : null,
    };
}
