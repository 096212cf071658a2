namespace Cohortly.Modeling.Data;

/// <summary>Train / validation / test parts over one shared catalog.</summary>
public sealed record DatasetSplit(InteractionDataset Train, InteractionDataset Validation, InteractionDataset Test)
{
    public DatasetCatalog Catalog => Train.Catalog;
}
