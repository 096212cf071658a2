namespace Cohortly.Modeling.Drift;

/// <summary>A streaming change detector over a scalar signal (conversion rate, score, latency...).</summary>
public interface IDriftDetector
{
    /// <summary>Feeds one observation; true when a change is detected at this step.</summary>
    bool Add(double value);

    /// <summary>The detector's current estimate of the signal's mean.</summary>
    double Estimation { get; }

    /// <summary>Number of changes detected since creation.</summary>
    long Detections { get; }
}
