using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Drift;

/// <summary>
/// The one rule for which users the feature-PSI reference and the live sample describe, and when their features are
/// measured: the instant T is the newest latest-event among the candidate users; the population is the users whose
/// latest event lies within <c>window</c> before T; each row is the user's features after their latest event, with
/// the only clock-dependent feature (<c>recency_days</c>) re-measured at T. Training applies it to the log's profiles
/// (features at the end of the log, which are the features after each user's latest event) and the drift monitor to
/// the silos' live sample (features recorded right after each user's latest event), so both sides are the same kind of
/// sample of the same kind of users; a stationary world then has the same distribution on both, by construction.
/// </summary>
/// <remarks>
/// Why not compare every user in the log with the live sample: the live sample holds only users seen recently, with
/// recency measured at their last event (about zero), while the log holds every user, with recency measured at the
/// run's reference — two populations and two clocks, which read as drift on <c>recency_days</c> (PSI 0.66 in the demo)
/// right after every training run.
/// </remarks>
public static class ActivePopulation
{
    /// <summary>
    /// How far back a user's latest event may lie to count as active: a whole day, so the population covers the daily
    /// cycle. With an hour, who is active depends on the hour (night owls at 3 am; users on their first session of a
    /// calendar day, whose active-day count just grew, after midnight), and a reference taken at one hour reads as drift
    /// at another — measured: <c>frequency</c> PSI 0.39 within an hour of a midnight training in
    /// <c>ActivePopulationSimulationTests</c>' stationary world.
    /// </summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(1);

    /// <summary>A reference over fewer active users than this is not built: its quantiles would be mostly noise.</summary>
    public const int MinUsers = 200;

    /// <summary>
    /// The rows of the users active within <paramref name="window"/> of the newest latest-event among them, with the
    /// recency feature (when <paramref name="featureNames"/> has one) re-measured at that instant. Rows whose width is
    /// not the feature count are skipped.
    /// </summary>
    public static FeatureMatrix Select(IReadOnlyList<float[]> rows, IReadOnlyList<long> lastSeenMs, IReadOnlyList<string> featureNames, TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(lastSeenMs);
        ArgumentNullException.ThrowIfNull(featureNames);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        if (rows.Count != lastSeenMs.Count)
        {
            throw new ArgumentException($"{rows.Count} rows but {lastSeenMs.Count} latest-event times.", nameof(lastSeenMs));
        }

        var columns = featureNames.Count;
        var newest = long.MinValue;
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Length == columns)
            {
                newest = Math.Max(newest, lastSeenMs[i]);
            }
        }

        if (newest == long.MinValue)
        {
            return new FeatureMatrix(0, columns);
        }

        var from = newest - (long)window.TotalMilliseconds;
        var kept = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Length == columns && lastSeenMs[i] >= from)
            {
                kept++;
            }
        }

        var recency = IndexOf(featureNames, ProfileFeatures.RecencyName);
        var result = new FeatureMatrix(kept, columns);
        var r = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Length != columns || lastSeenMs[i] < from)
            {
                continue;
            }

            var row = result.Row(r++);
            rows[i].CopyTo(row);
            if (recency >= 0)
            {
                row[recency] = ProfileFeatures.RecencyDays(lastSeenMs[i], newest);
            }
        }

        return result;
    }

    /// <summary>
    /// The feature reference of the active population of <paramref name="rows"/> (<see cref="Select"/>); empty when
    /// fewer than <see cref="MinUsers"/> users are active in the window.
    /// </summary>
    public static IReadOnlyList<FeatureBins> Reference(IReadOnlyList<float[]> rows, IReadOnlyList<long> lastSeenMs, IReadOnlyList<string> featureNames, TimeSpan window)
    {
        var active = Select(rows, lastSeenMs, featureNames, window);
        return active.Rows < MinUsers ? [] : FeatureReference.From(active, featureNames);
    }

    /// <summary>
    /// The training side: the reference of the users of <paramref name="profiles"/> (rows of <paramref name="features"/>
    /// in the same order, <see cref="ProfileFeatures"/> measured after the whole log) active within the window.
    /// </summary>
    public static IReadOnlyList<FeatureBins> Reference(IReadOnlyList<UserProfile> profiles, FeatureMatrix features, TimeSpan window)
    {
        var (rows, lastSeen) = Candidates(profiles, features);
        return Reference(rows, lastSeen, ProfileFeatures.Names, window);
    }

    /// <summary>
    /// The training side of both population references, from one selection of the active rows: the feature reference
    /// (<see cref="Reference(IReadOnlyList{UserProfile}, FeatureMatrix, TimeSpan)"/>) and the active users per cohort of
    /// <paramref name="model"/> (nearest centroid, same order as its cohort ids), which the cohort-share check compares
    /// with the live sample's active rows. Both are empty when fewer than <see cref="MinUsers"/> users are active.
    /// </summary>
    public static ActiveReference Describe(IReadOnlyList<UserProfile> profiles, FeatureMatrix features, TimeSpan window, SegmentationModel model)
    {
        var (rows, lastSeen) = Candidates(profiles, features);
        return Describe(rows, lastSeen, ProfileFeatures.Names, window, model);
    }

    /// <summary>
    /// Both population references of the rows active within <paramref name="window"/> (<see cref="Select"/>): each
    /// feature's bins and the active users per cohort of <paramref name="model"/>; empty when fewer than
    /// <see cref="MinUsers"/> are active.
    /// </summary>
    public static ActiveReference Describe(IReadOnlyList<float[]> rows, IReadOnlyList<long> lastSeenMs, IReadOnlyList<string> featureNames, TimeSpan window, SegmentationModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var active = Select(rows, lastSeenMs, featureNames, window);
        if (active.Rows < MinUsers)
        {
            return ActiveReference.Empty;
        }

        var counts = new int[model.CohortIds.Count];
        if (model.Dimensions == active.Columns && counts.Length > 0)
        {
            for (var r = 0; r < active.Rows; r++)
            {
                counts[model.NearestIndex(active.ReadRow(r), out _)]++;
            }
        }

        return new ActiveReference(FeatureReference.From(active, featureNames), counts);
    }

    private static (List<float[]> Rows, List<long> LastSeen) Candidates(IReadOnlyList<UserProfile> profiles, FeatureMatrix features)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(features);
        var rows = new List<float[]>(profiles.Count);
        var lastSeen = new List<long>(profiles.Count);
        for (var u = 0; u < profiles.Count && u < features.Rows; u++)
        {
            if (profiles[u].TotalEvents == 0)
            {
                continue; // a user with no events has no latest event: never in a live sample
            }

            rows.Add(features.ReadRow(u).ToArray());
            lastSeen.Add(profiles[u].LastSeenMs);
        }

        return (rows, lastSeen);
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>
/// What a training run records about its active population (<see cref="ActivePopulation"/>): each feature's bins and the
/// active users per cohort of the version's segmentation. Both empty when too few users were active.
/// </summary>
public sealed record ActiveReference(IReadOnlyList<FeatureBins> Features, IReadOnlyList<int> CohortCounts)
{
    public static ActiveReference Empty { get; } = new([], []);
}
