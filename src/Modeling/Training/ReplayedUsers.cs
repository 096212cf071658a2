using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Training;

/// <summary>
/// What the training stages after <c>features</c> need from the users' replayed profiles, kept per user in plain
/// arrays: the profile features at the run's reference, the time of the latest event (the drift reference's active
/// window), the most used device (the ranker's and the provisional model's examples, the promotion gate's serving
/// probe) and the most used value of each context key (the provisional model). The profiles themselves (about 2 KB
/// each: dictionaries, histograms, recent items) are replayed one user at a time and dropped
/// (<see cref="TrainingLog.ForEachProfile"/>); the run used to hold all of them from the features stage to the end.
/// </summary>
internal sealed class ReplayedUsers
{
    private ReplayedUsers(FeatureMatrix features, long[] totalEvents, long[] lastSeenMs, string?[] devices, Dictionary<string, string>?[] mainContexts)
    {
        Features = features;
        TotalEvents = totalEvents;
        LastSeenMs = lastSeenMs;
        Devices = devices;
        MainContexts = mainContexts;
    }

    /// <summary>Row u: <see cref="ProfileFeatures"/> of user u's profile after the whole log, measured at the reference.</summary>
    public FeatureMatrix Features { get; }

    public long[] TotalEvents { get; }

    public long[] LastSeenMs { get; }

    /// <summary>The user's most used device (ordinal order breaks ties), or null.</summary>
    public string?[] Devices { get; }

    /// <summary>The user's most used value of every context key their profile holds, or null when it holds none.</summary>
    public Dictionary<string, string>?[] MainContexts { get; }

    public int Count => Devices.Length;

    public static ReplayedUsers Replay(TrainingLog log, ProfileOptions options, long nowMs, CancellationToken cancellationToken)
    {
        var users = log.UserIds.Length;
        var features = new FeatureMatrix(users, ProfileFeatures.Count);
        var totals = new long[users];
        var lastSeen = new long[users];
        var devices = new string?[users];
        var contexts = new Dictionary<string, string>?[users];
        log.ForEachProfile(
            options,
            (u, profile) =>
            {
                ProfileFeatures.Extract(profile, nowMs, features.Row(u));
                totals[u] = profile.TotalEvents;
                lastSeen[u] = profile.LastSeenMs;
                devices[u] = MostUsedDevice(profile);
                contexts[u] = MainContext(profile);
            },
            cancellationToken);
        return new ReplayedUsers(features, totals, lastSeen, devices, contexts);
    }

    /// <summary>
    /// The drift reference's candidate rows (as <see cref="Drift.ActivePopulation"/> selects them from profiles): every
    /// user with an event, their feature row and latest event time.
    /// </summary>
    public (List<float[]> Rows, List<long> LastSeen) DriftCandidates()
    {
        var rows = new List<float[]>(Count);
        var lastSeen = new List<long>(Count);
        for (var u = 0; u < Count && u < Features.Rows; u++)
        {
            if (TotalEvents[u] == 0)
            {
                continue; // a user with no events has no latest event: never in a live sample
            }

            rows.Add(Features.ReadRow(u).ToArray());
            lastSeen.Add(LastSeenMs[u]);
        }

        return (rows, lastSeen);
    }

    /// <summary>The user's most used value of every context key their profile holds, or null.</summary>
    private static Dictionary<string, string>? MainContext(UserProfile profile)
    {
        if (profile.Context is not { Count: > 0 } context)
        {
            return null;
        }

        var main = new Dictionary<string, string>(context.Count, StringComparer.Ordinal);
        foreach (var key in context.Keys)
        {
            if (profile.MostUsed(key) is { } value)
            {
                main[key] = value;
            }
        }

        return main;
    }

    private static string? MostUsedDevice(UserProfile profile)
    {
        string? best = null;
        var count = 0;
        foreach (var (device, n) in profile.Devices)
        {
            if (n > count || (n == count && string.CompareOrdinal(device, best) < 0))
            {
                best = device;
                count = n;
            }
        }

        return best;
    }
}
