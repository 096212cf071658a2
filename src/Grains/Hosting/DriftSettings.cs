using System.ComponentModel.DataAnnotations;
using Cohortly.Contracts;
using Cohortly.Modeling.Drift;

namespace Cohortly.Grains.Hosting;

/// <summary>Cohortly:Drift: the drift monitor's schedule, thresholds, cooldown and the action of each detector.</summary>
public sealed class DriftSettings
{
    /// <summary>Runs the monitor on its reminder. Off: detectors run only when asked (<see cref="IDriftMonitorGrain.Check"/>).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Period of the monitor's pass (a reminder, so at least a minute).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A detector that fired for a cohort stays quiet for that cohort this long (suppressed detections are counted).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan Cooldown { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Confidence of the rate detectors: the chance that one pass over a stationary window reports a shift is at most about this.</summary>
    [Range(1e-9, 0.5)]
    public double Delta { get; set; } = 0.002;

    /// <summary>How far back the reward-rate and fallback-share windows reach (minute buckets; at most Cohortly:Outcomes:MinuteRetention).</summary>
    [Range(typeof(TimeSpan), "00:10:00", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromHours(3);

    /// <summary>Impressions each side of a reward-rate cut needs at least.</summary>
    [Range(10, 100_000_000)]
    public long MinImpressions { get; set; } = 1000;

    /// <summary>Responses each side of a fallback-share cut needs at least.</summary>
    [Range(10, 100_000_000)]
    public long MinResponses { get; set; } = 200;

    /// <summary>Minutes (with outcomes) each side of a cut needs at least.</summary>
    [Range(1, 60)]
    public int MinMinutes { get; set; } = 5;

    /// <summary>Which reward-rate shifts are detections: Decrease (default), Increase or Both.</summary>
    public ChangeDirection RewardDirection { get; set; } = ChangeDirection.Decrease;

    /// <summary>A feature drifts when its PSI (live sample vs the segmentation version's population) exceeds this.</summary>
    [Range(0.01, 10.0)]
    public double FeaturePsi { get; set; } = 0.25;

    /// <summary>Cohort shares drift when their PSI exceeds this.</summary>
    [Range(0.01, 10.0)]
    public double CohortSharePsi { get; set; } = 0.25;

    /// <summary>The population checks skip a live sample smaller than this.</summary>
    [Range(2, 10_000_000)]
    public int MinLiveSample { get; set; } = 200;

    /// <summary>What each detector does besides its alert.</summary>
    public DriftActionSettings Actions { get; set; } = new();

    /// <summary>The detectors' options (Modeling) from these settings.</summary>
    public DriftMonitorOptions Monitor()
    {
        var minutes = Math.Max(2 * MinMinutes, (int)Window.TotalMinutes);
        return new DriftMonitorOptions(
            new RateShiftOptions(Delta, MinImpressions, MinMinutes, minutes, RewardDirection),
            new RateShiftOptions(Delta, MinResponses, MinMinutes, minutes, ChangeDirection.Increase),
            FeaturePsi,
            CohortSharePsi,
            MinLiveSample);
    }
}

/// <summary>Cohortly:Drift:Actions: AlertOnly, Retrain or ServeGlobal per detector.</summary>
public sealed class DriftActionSettings
{
    public DriftAction RewardRate { get; set; } = DriftAction.Retrain;

    public DriftAction FallbackShare { get; set; } = DriftAction.Retrain;

    public DriftAction FeaturePsi { get; set; } = DriftAction.AlertOnly;

    public DriftAction CohortShare { get; set; } = DriftAction.AlertOnly;

    public DriftAction For(DriftDetectorKind detector) => detector switch
    {
        DriftDetectorKind.RewardRate => RewardRate,
        DriftDetectorKind.FallbackShare => FallbackShare,
        DriftDetectorKind.FeaturePsi => FeaturePsi,
        DriftDetectorKind.CohortShare => CohortShare,
        _ => DriftAction.AlertOnly,
    };
}
