using Cohortly.Contracts;
using Cohortly.Grains.Services;
using Cohortly.Grains.Training;
using Cohortly.Modeling.Serving;
using Orleans.Concurrency;

namespace Cohortly.Grains.Catalog;

/// <summary>Similar items from the silo's model cache; a stateless worker so every silo answers locally.</summary>
[StatelessWorker]
public sealed class ItemSimilarityGrain(ModelCache models, CatalogCache catalog) : Grain, IItemSimilarityGrain
{
    public Task<SimilarItemsResponse?> Similar(string itemId, int count)
    {
        ArgumentException.ThrowIfNullOrEmpty(itemId);
        var bundle = models.Current
            ?? throw new InsufficientDataException("No model is active yet: similar items come from a trained model (POST /v1/admin/training).");
        var similar = RecommendationPipeline.Similar(bundle, itemId, count, catalog.IsAvailable);
        if (similar is null)
        {
            return Task.FromResult<SimilarItemsResponse?>(null);
        }

        var items = new RecommendedItem[similar.Count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = new RecommendedItem(similar[i].ItemId, Math.Round(similar[i].Score, 6), similar[i].Reason);
        }

        return Task.FromResult<SimilarItemsResponse?>(new SimilarItemsResponse(itemId, bundle.Version, items));
    }
}
