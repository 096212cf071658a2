namespace Cohortly.Modeling.Features;

/// <summary>
/// Remembers the last <see cref="Capacity"/> event ids of one user as 64-bit FNV-1a hashes in a ring.
/// Retries of a batch arrive within seconds, so a short window catches them. Hashes cost 8 bytes an
/// id and the ring grows only as far as it is used, which matters at 100k resident users (most of
/// whom have a handful of events). Public members keep it serializable with System.Text.Json.
/// </summary>
public sealed class EventDeduplicator
{
    public const int DefaultCapacity = 64;

    /// <summary>Hashes; the first <see cref="Count"/> slots are valid.</summary>
    public long[] Ring { get; set; } = [];

    public int Count { get; set; }

    /// <summary>Slot the next hash goes to once the ring is at full capacity.</summary>
    public int Next { get; set; }

    [System.Text.Json.Serialization.JsonIgnore]
    public int Capacity => DefaultCapacity;

    /// <summary>Returns true when the id is new (and remembers it), false for a duplicate.</summary>
    public bool TryAdd(string eventId)
    {
        var hash = Hash(eventId);
        if (Ring.AsSpan(0, Count).Contains(hash))
        {
            return false;
        }

        if (Count < DefaultCapacity)
        {
            if (Count == Ring.Length)
            {
                var grown = new long[Math.Min(DefaultCapacity, Math.Max(4, Ring.Length * 2))];
                Ring.CopyTo(grown, 0);
                Ring = grown;
            }

            Ring[Count++] = hash;
            Next = Count % DefaultCapacity;
            return true;
        }

        Ring[Next] = hash;
        Next = (Next + 1) % DefaultCapacity;
        return true;
    }

    /// <summary>Stable across processes (unlike string.GetHashCode), so persisted rings stay valid.</summary>
    public static long Hash(string value)
    {
        var h = 14695981039346656037UL;
        foreach (var ch in value)
        {
            h = (h ^ ch) * 1099511628211UL;
        }

        return unchecked((long)h);
    }
}
