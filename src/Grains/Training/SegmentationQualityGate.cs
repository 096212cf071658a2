using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Modeling.Segmentation;
using Microsoft.Extensions.Logging;

namespace Cohortly.Grains.Training;

/// <summary>
/// The quality floor between a fitted segmentation version and its publication: a version below
/// <c>Cohortly:Segmentation:MinSilhouette</c> (or above <c>MaxNoiseShare</c>) is not published, the previous version
/// keeps serving, and an alert (source <see cref="AlertSource"/>) says which statistic crossed which bound. Restored
/// versions never pass through here: a rollback republishes what a model was trained with.
/// </summary>
public static partial class SegmentationQualityGate
{
    public const string AlertSource = "segmentation-quality";

    /// <summary>Null when <paramref name="built"/> may be published; otherwise the shortfall, already alerted.</summary>
    internal static async Task<QualityShortfall?> CheckAsync(IGrainFactory grains, SegmentationSettings settings, SegmentationVersion built, string run, long current, ILogger logger)
    {
        if (built.Quality is not { } quality || settings.QualityFloor().Check(quality) is not { } shortfall)
        {
            return null;
        }

        var kept = current == 0 ? "no version is published yet" : $"version {current} keeps serving";
        var message = $"Segmentation version {built.Model.Version} ({run}) was withheld: {shortfall.Reason}; {kept}.";
        LogWithheld(logger, built.Model.Version, run, shortfall.Statistic, shortfall.Value, shortfall.Threshold);
        try
        {
            await grains.RaiseAlert(new AlertInput(AlertSource, null, shortfall.Statistic, shortfall.Value, shortfall.Threshold, message));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogAlertFailed(logger, built.Model.Version, ex);
        }

        return shortfall with { Reason = message };
    }

    internal static SegmentationWithheldException Exception(QualityShortfall shortfall) => new(shortfall.Reason)
    {
        Statistic = shortfall.Statistic,
        Value = shortfall.Value,
        Threshold = shortfall.Threshold,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Segmentation version {Version} ({Run}) withheld: {Statistic} {Value:F3} against bound {Threshold:F3}")]
    private static partial void LogWithheld(ILogger logger, long version, string run, string statistic, double value, double threshold);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The alert for withheld segmentation version {Version} could not be raised")]
    private static partial void LogAlertFailed(ILogger logger, long version, Exception exception);
}
