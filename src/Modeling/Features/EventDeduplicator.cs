namespace Cohortly.Modeling.Features;

/// <summary>
/// Remembers the last <see cref="Capacity"/> event ids of one user as 64-bit FNV-1a hashes in a ring.
/// Retries of a batch arrive within seconds, so a short window catches them; hashes keep the
/// per-user footprint at 8 bytes an id, which matters at 100k resident users.
/// Public members keep it serializable with System.Text.Json.
/// </summary>
public sealed class EventDeduplicator
{
    public const int DefaultCapacity = 64;

    public long[] Ring { get; set; } = new long[DefaultCapacity];

    public int Count { get; set; }

    public int Next { get; set; }

    public int Capacity => Ring.Length;

    /// <summary>Returns true when the id is new (and remembers it), false for a duplicate.</summary>
    public bool TryAdd(string eventId)
    {
        var hash = Hash(eventId);
        if (Ring.AsSpan(0, Count).Contains(hash))
        {
            return false;
        }

        Ring[Next] = hash;
        Next = (Next + 1) % Ring.Length;
        Count = Math.Min(Count + 1, Ring.Length);
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
