using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Segmentation.Algorithms;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// The one place where <c>Cohortly:Segmentation:Algorithm</c> and its parameters become a typed
/// <see cref="ISegmentationAlgorithm"/> (for segmentation-only runs and training alike), and where the quality floor is
/// read. Everything downstream chooses by type.
/// </summary>
public static class SegmentationAlgorithmSettings
{
    public const string Default = KMeansSegmentation.AlgorithmName;

    private static readonly string[] Known = [KMeansSegmentation.AlgorithmName, AgglomerativeSegmentation.AlgorithmName, DbscanSegmentation.AlgorithmName];

    /// <summary>The algorithm names, as written in configuration.</summary>
    public static IReadOnlyList<string> Names => Known;

    /// <summary>How a version is fitted under these settings.</summary>
    public static SegmentationOptions ToOptions(this SegmentationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new SegmentationOptions
        {
            Algorithm = Algorithm(settings),
            K = settings.K,
            Seed = settings.Seed,
            SilhouetteSample = settings.SilhouetteSample,
            MaxMatchDistance = settings.MaxMatchDistance,
        };
    }

    /// <summary>The quality a fitted version needs to be published.</summary>
    public static SegmentationQualityFloor QualityFloor(this SegmentationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new SegmentationQualityFloor(settings.MinSilhouette, settings.MaxNoiseShare);
    }

    /// <summary>Adds an error naming the key when the algorithm is not one of <see cref="Names"/>; no side effects.</summary>
    public static void Validate(SegmentationSettings settings, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(errors);
        if (!string.IsNullOrEmpty(settings.Algorithm) && Find(settings.Algorithm) is null)
        {
            errors.Add($"Cohortly:Segmentation:Algorithm: '{settings.Algorithm}' is not a segmentation algorithm; use one of {string.Join(", ", Known)}.");
        }
    }

    private static string? Find(string name)
    {
        foreach (var known in Known)
        {
            if (string.Equals(known, name.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return known;
            }
        }

        return null;
    }

    private static ISegmentationAlgorithm Algorithm(SegmentationSettings settings) => Find(settings.Algorithm ?? Default) switch
    {
        AgglomerativeSegmentation.AlgorithmName => new AgglomerativeSegmentation(settings.AgglomerativeSample),
        DbscanSegmentation.AlgorithmName => new DbscanSegmentation(settings.DbscanEpsilon, settings.DbscanMinPoints, settings.DbscanSample, MaxClusters: 10),
        KMeansSegmentation.AlgorithmName => new KMeansSegmentation(settings.KMeansRestarts),
        _ => throw new ArgumentException($"Cohortly:Segmentation:Algorithm: '{settings.Algorithm}' is not a segmentation algorithm.", nameof(settings)),
    };
}
