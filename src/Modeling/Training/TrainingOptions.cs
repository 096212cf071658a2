using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Training;

/// <summary>Settings of a training run (bound from Cohortly:Training).</summary>
public sealed record TrainingOptions
{
    /// <summary>Rating events at or above this value count as positive interactions; lower ratings only shape profiles.</summary>
    public double PositiveRating { get; init; } = 3;

    public SegmentationOptions Segmentation { get; init; } = new();

    public ProfileOptions Profile { get; init; } = ProfileOptions.Default;

    public int Factors { get; init; } = 64;

    public int Seed { get; init; } = 42;
}
