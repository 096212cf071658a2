namespace Cohortly.Modeling.Trending;

/// <summary>A ranked item with its decayed score.</summary>
public readonly record struct ScoredItem(string ItemId, double Score);

/// <summary>
/// Bounded, exponentially decayed item scores ("what is popular lately"). Uses forward decay:
/// scores are stored relative to a landmark time, so adding is O(1) and nothing is rescaled until
/// the landmark moves. Keeps at most twice <see cref="Capacity"/> items and prunes to the strongest.
/// Public members keep it serializable with System.Text.Json for grain storage.
/// </summary>
public sealed class DecayedTopItems
{
    public int Capacity { get; set; } = 500;

    public double HalfLifeHours { get; set; } = 24;

    public long LandmarkMs { get; set; }

    public Dictionary<string, double> Scores { get; set; } = new(StringComparer.Ordinal);

    public void Add(string itemId, double weight, long nowMs)
    {
        if (Scores.Count == 0 && LandmarkMs == 0)
        {
            LandmarkMs = nowMs;
        }

        var exponent = (nowMs - LandmarkMs) / (HalfLifeHours * 3_600_000);
        if (exponent > 30)
        {
            // Move the landmark before the forward factor overflows float precision.
            Rebase(nowMs);
            exponent = 0;
        }

        var forward = weight * Math.Pow(2, exponent);
        Scores.TryGetValue(itemId, out var current);
        var updated = current + forward;
        if (updated <= 0)
        {
            Scores.Remove(itemId);
        }
        else
        {
            Scores[itemId] = updated;
        }

        if (Scores.Count > Capacity * 2)
        {
            Prune();
        }
    }

    /// <summary>A weight observed <paramref name="ageMs"/> ago, decayed with this half-life.</summary>
    public static double Decayed(double weight, long ageMs, double halfLifeHours) =>
        ageMs <= 0 ? weight : weight * Math.Pow(2, -ageMs / (halfLifeHours * 3_600_000));

    /// <summary>Top <paramref name="count"/> items with scores decayed to <paramref name="nowMs"/>.</summary>
    public ScoredItem[] Top(int count, long nowMs)
    {
        var factor = Math.Pow(2, -(nowMs - LandmarkMs) / (HalfLifeHours * 3_600_000));
        var all = new ScoredItem[Scores.Count];
        var i = 0;
        foreach (var (id, s) in Scores)
        {
            all[i++] = new ScoredItem(id, s * factor);
        }

        Array.Sort(all, static (a, b) => b.Score.CompareTo(a.Score) is var c && c != 0 ? c : string.CompareOrdinal(a.ItemId, b.ItemId));
        return all.Length <= count ? all : all[..count];
    }

    private void Rebase(long nowMs)
    {
        var factor = Math.Pow(2, -(nowMs - LandmarkMs) / (HalfLifeHours * 3_600_000));
        foreach (var key in Scores.Keys)
        {
            Scores[key] *= factor;
        }

        LandmarkMs = nowMs;
    }

    private void Prune()
    {
        var values = new double[Scores.Count];
        Scores.Values.CopyTo(values, 0);
        Array.Sort(values);
        var threshold = values[values.Length - Capacity];
        var drop = new List<string>();
        foreach (var (id, s) in Scores)
        {
            if (s < threshold)
            {
                drop.Add(id);
            }
        }

        foreach (var id in drop)
        {
            Scores.Remove(id);
        }
    }
}
