using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Training;

/// <summary>
/// The one place training turns its settings into the EASE signal: EASE truncated to item-kNN's list shape, fitted only
/// when the catalog is within <see cref="TrainingOptions.EaseMaxItems"/>. The pipeline (fit and refit) and the tuner
/// both ask here, so what is tuned is what is served.
/// </summary>
internal static class EaseSignal
{
    /// <summary>The signal's name in the blend, the bundle's weights and the tuner's parameters.</summary>
    public const string Name = "ease";

    /// <summary>EASE's dense solve is affordable for this catalog.</summary>
    public static bool Fits(TrainingOptions options, int itemCount) => options.EaseMaxItems > 0 && itemCount <= options.EaseMaxItems;

    /// <summary>The run fits the signal: it has a weight and the catalog is within the bound.</summary>
    public static bool InRun(TrainingOptions options, int itemCount) => options.EaseWeight > 0 && Fits(options, itemCount);

    public static ItemKnnOptions Options(TrainingOptions options, float regularization) => new()
    {
        Fit = ItemNeighborFit.Ease,
        Neighbors = options.EaseNeighbors,
        EaseRegularization = regularization,
        EaseMaxItems = options.EaseMaxItems,
    };
}
