using Cohortly.Contracts;
using Cohortly.Modeling.Cohorts;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Purchase;

/// <summary>
/// Users described at a cut-off time and whether they converted in the window after it. <see cref="Users"/> are the
/// data set's user indices of the rows (only users with at least one event before the cut-off).
/// </summary>
public sealed record PurchaseExamples(FeatureMatrix Features, bool[] Labels, int[] Users, long CutoffSeconds)
{
    public static IReadOnlyList<string> FeatureNames { get; } = [.. ProfileFeatures.Names, "events_last_7d", "events_last_28d"];

    public int Count => Labels.Length;

    public double PositiveRate
    {
        get
        {
            var p = 0;
            foreach (var l in Labels)
            {
                p += l ? 1 : 0;
            }

            return Count == 0 ? 0 : (double)p / Count;
        }
    }

    /// <summary>
    /// Replays each user's events up to <paramref name="cutoffSeconds"/> (inclusive) through the grains' profile code,
    /// extracts <see cref="ProfileFeatures"/> plus two short-window activity counts, and labels the user positive when a
    /// conversion happens in (cut-off, cut-off + window]. A conversion is a purchase event when the data set has typed
    /// events, otherwise an interaction with value ≥ <paramref name="minPositiveValue"/> (e.g. a rating of 4 or 5).
    /// </summary>
    public static PurchaseExamples Build(InteractionDataset data, long cutoffSeconds, TimeSpan window, float minPositiveValue = 4, ProfileOptions? profile = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var before = data.Where(r => data.Timestamps[r] <= cutoffSeconds);
        var profiles = ProfileReplay.Build(before, profile);
        var end = cutoffSeconds + (long)window.TotalSeconds;
        var purchaseCode = PurchaseCode(data.Catalog);
        var positive = new bool[data.UserCount];
        var last7 = new int[data.UserCount];
        var last28 = new int[data.UserCount];
        for (var r = 0; r < data.Count; r++)
        {
            var t = data.Timestamps[r];
            var u = data.Users[r];
            if (t > cutoffSeconds && t <= end)
            {
                var converted = purchaseCode >= 0
                    ? data.HasEventTypes && data.EventTypes[r] == purchaseCode
                    : data.Values[r] >= minPositiveValue;
                positive[u] |= converted;
            }
            else if (t <= cutoffSeconds)
            {
                var age = cutoffSeconds - t;
                last7[u] += age <= 7 * 86_400 ? 1 : 0;
                last28[u] += age <= 28 * 86_400 ? 1 : 0;
            }
        }

        var users = new List<int>();
        for (var u = 0; u < profiles.Length; u++)
        {
            if (profiles[u].TotalEvents > 0)
            {
                users.Add(u);
            }
        }

        var columns = FeatureNames.Count;
        var features = new FeatureMatrix(users.Count, columns);
        var labels = new bool[users.Count];
        var nowMs = cutoffSeconds * 1000;
        for (var x = 0; x < users.Count; x++)
        {
            var u = users[x];
            var row = features.Row(x);
            ProfileFeatures.Extract(profiles[u], nowMs, row);
            row[columns - 2] = MathF.Log(1 + last7[u]);
            row[columns - 1] = MathF.Log(1 + last28[u]);
            labels[x] = positive[u];
        }

        return new PurchaseExamples(features, labels, [.. users], cutoffSeconds);
    }

    private static int PurchaseCode(DatasetCatalog catalog)
    {
        for (var c = 0; c < catalog.EventTypeNames.Count; c++)
        {
            if (InteractionTypes.TryParse(catalog.EventTypeNames[c], out var t) && t == InteractionType.Purchase)
            {
                return c;
            }
        }

        return -1;
    }
}
