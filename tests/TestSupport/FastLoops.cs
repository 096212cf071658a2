namespace Cohortly.TestSupport;

/// <summary>
/// The one place for the short flush, poll and write-behind periods tests run with, so a test sees an effect within
/// a second or two instead of the production periods. Keys are configuration paths; <see cref="AsEnvironment"/> gives
/// them as environment variables for silo and gateway processes.
/// </summary>
public static class FastLoops
{
    /// <summary>For an in-process silo (InProcessTestCluster, WebApplicationFactory): loops at 100 ms, and segmentation
    /// only when a test asks for it (the automatic one needs more users than any test has).</summary>
    public static IReadOnlyDictionary<string, string> InProcess { get; } = new Dictionary<string, string>
    {
        ["Cohortly:Flush"] = "00:00:00.100",
        ["Cohortly:CachePoll"] = "00:00:00.100",
        ["Cohortly:Segmentation:SamplePush"] = "00:00:00.200",
        ["Cohortly:Segmentation:MinUsers"] = "1000000",
        ["Cohortly:Users:WriteBehind"] = "00:00:01",
        ["Cohortly:Outcomes:WriteBehind"] = "00:00:01",
        // Tests run the drift monitor's pass themselves; a scheduled one would act (retrain) in the middle of others.
        ["Cohortly:Drift:Enabled"] = "false",
    };

    /// <summary>For silo and gateway processes (<see cref="LocalCluster"/>): two silos and a gateway share the
    /// machine's cores, so their loops run at 200 ms; segmentation keeps its own schedule.</summary>
    public static IReadOnlyDictionary<string, string> Processes { get; } = new Dictionary<string, string>
    {
        ["Cohortly:Flush"] = "00:00:00.200",
        ["Cohortly:CachePoll"] = "00:00:00.200",
        ["Cohortly:Users:WriteBehind"] = "00:00:01",
        // The drills count events and versions; a drift action (a retrain) on their traffic would not be theirs.
        ["Cohortly:Drift:Enabled"] = "false",
    };

    /// <summary>The settings as environment variables (<c>Cohortly__Flush</c>), which .NET configuration reads as <c>Cohortly:Flush</c>.</summary>
    public static Dictionary<string, string> AsEnvironment(this IReadOnlyDictionary<string, string> settings) =>
        settings.ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value);
}
