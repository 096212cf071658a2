using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Training;

/// <summary>
/// The one place training turns its settings into the item-item signal's options: the cosine neighbours, or EASE
/// truncated to the same list shape when the catalog is within <see cref="TrainingOptions.EaseMaxItems"/>. The pipeline
/// (fit and refit) and the tuner both ask here, so what is tuned is what is served.
/// </summary>
internal static class ItemItemSignal
{
    /// <summary>EASE's dense solve is affordable for this catalog.</summary>
    public static bool EaseFits(TrainingOptions options, int itemCount) => itemCount <= options.EaseMaxItems;

    /// <summary>The item-item signal's options as configured; EASE falls back to cosine above the item bound.</summary>
    public static ItemKnnOptions Configured(TrainingOptions options, int itemCount) =>
        options.ItemItemFit == ItemNeighborFit.Ease && EaseFits(options, itemCount)
            ? Ease(options, options.EaseRegularization)
            : Cosine(options);

    public static ItemKnnOptions Cosine(TrainingOptions options) => new()
    {
        Neighbors = options.KnnNeighbors,
        Shrinkage = options.KnnShrinkage,
        Asymmetry = options.KnnAsymmetry,
        InverseUserFrequency = options.KnnInverseUserFrequency,
    };

    public static ItemKnnOptions Ease(TrainingOptions options, float regularization) => new()
    {
        Fit = ItemNeighborFit.Ease,
        Neighbors = options.EaseNeighbors,
        EaseRegularization = regularization,
        EaseMaxItems = options.EaseMaxItems,
    };
}
