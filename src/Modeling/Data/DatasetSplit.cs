namespace Cohortly.Modeling.Data;

/// <summary>
/// Train / validation / test parts over one shared catalog. A global-time split also carries its two cut instants
/// (unix seconds): train holds the events strictly before <see cref="ValidationCut"/>, validation those from it to
/// strictly before <see cref="TestCut"/>, test the rest; per-user splits have no cuts.
/// </summary>
public sealed record DatasetSplit(InteractionDataset Train, InteractionDataset Validation, InteractionDataset Test)
{
    public DatasetCatalog Catalog => Train.Catalog;

    public long? ValidationCut { get; init; }

    public long? TestCut { get; init; }
}
