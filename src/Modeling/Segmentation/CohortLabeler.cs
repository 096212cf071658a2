namespace Cohortly.Modeling.Segmentation;

/// <summary>
/// Names a cohort from its standardized centroid: the strongest traits (largest |z|) become
/// adjectives, and the buying behaviour picks the noun ("frequent high-spend buyers").
/// </summary>
public static class CohortLabeler
{
    private const float Salient = 0.5f;

    private static readonly Dictionary<string, (string? High, string? Low)> Traits = new(StringComparer.Ordinal)
    {
        ["activity"] = ("highly active", "light"),
        ["recency_days"] = ("lapsed", "recently active"),
        ["frequency"] = ("frequent", "occasional"),
        ["monetary"] = ("high-spend", "low-spend"),
        ["avg_order_value"] = ("big-basket", "small-basket"),
        ["cart_rate"] = ("cart-filling", null),
        ["session_minutes"] = ("long-session", "quick-visit"),
        ["category_focus"] = ("single-category", "multi-category"),
        ["avg_item_price"] = ("premium", "bargain-hunting"),
        ["dismiss_rate"] = ("picky", null),
        ["mobile_share"] = ("mobile", "desktop"),
        ["night_share"] = ("night-owl", null),
        ["tenure_days"] = ("long-time", "new"),
        ["longest_gap_days"] = ("returning dormant", null),
    };

    public static string Label(IReadOnlyList<string> featureNames, ReadOnlySpan<float> centroid, int maxTraits = 2)
    {
        var candidates = new List<(float Strength, string Word)>();
        float purchaseZ = 0, focusZ = 0;
        for (var i = 0; i < featureNames.Count; i++)
        {
            var name = featureNames[i];
            var z = centroid[i];
            if (name == "purchase_rate")
            {
                purchaseZ = z;
                continue;
            }

            if (name == "category_focus")
            {
                focusZ = z;
            }

            if (Math.Abs(z) < Salient || !Traits.TryGetValue(name, out var words))
            {
                continue;
            }

            var word = z > 0 ? words.High : words.Low;
            if (word is not null)
            {
                candidates.Add((Math.Abs(z), word));
            }
        }

        candidates.Sort(static (a, b) => b.Strength.CompareTo(a.Strength));
        var adjectives = new List<string>(maxTraits);
        foreach (var (_, word) in candidates)
        {
            if (adjectives.Count == maxTraits)
            {
                break;
            }

            // "single-category loyalists" already says single-category.
            if (word == "single-category" && focusZ >= 1)
            {
                continue;
            }

            adjectives.Add(word);
        }

        var noun = focusZ >= 1 ? "single-category loyalists"
            : purchaseZ >= Salient ? "buyers"
            : purchaseZ <= -Salient ? "window shoppers"
            : "shoppers";
        return adjectives.Count == 0 ? $"typical {noun}" : $"{string.Join(' ', adjectives)} {noun}";
    }

    /// <summary>Labels for all centroids; a repeated label gets its cohort id appended so every label is unique.</summary>
    public static string[] LabelAll(IReadOnlyList<string> featureNames, IReadOnlyList<float[]> centroids, IReadOnlyList<int> cohortIds)
    {
        var labels = new string[centroids.Count];
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < centroids.Count; i++)
        {
            labels[i] = Label(featureNames, centroids[i]);
            seen[labels[i]] = seen.TryGetValue(labels[i], out var n) ? n + 1 : 1;
        }

        for (var i = 0; i < labels.Length; i++)
        {
            if (seen[labels[i]] > 1)
            {
                labels[i] = $"{labels[i]} ({cohortIds[i]})";
            }
        }

        return labels;
    }
}
