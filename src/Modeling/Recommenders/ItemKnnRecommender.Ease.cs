namespace Cohortly.Modeling.Recommenders;

/// <summary>
/// EASE as a fit of item-kNN's neighbour lists. EASE's output is an item × item weight matrix B (score of j = Σ over
/// the user's items i of B[i, j]); kept whole it costs n² floats in memory and an n-long row per history item per
/// request. Truncated to the <see cref="ItemKnnOptions.Neighbors"/> largest weights (by magnitude) of each target's
/// column, it has exactly the shape of the cosine neighbour lists, so the bundle stores it and serving scores it with
/// the code item-kNN already runs (memory items × K, a request walks K weights per history item). With K ≥ n − 1
/// nothing is dropped and the scores equal the dense model's, addition for addition.
/// </summary>
public sealed partial class ItemKnnRecommender
{
    private void FitEase(TrainingData data, CancellationToken cancellationToken)
    {
        var n = data.ItemCount;
        if (n > Options.EaseMaxItems)
        {
            throw new InvalidOperationException($"EASE needs a dense {n}x{n} inverse; the limit is {Options.EaseMaxItems} items (ItemKnnOptions.EaseMaxItems)");
        }

        var dense = new EaseRecommender(new EaseOptions
        {
            Regularization = Options.EaseRegularization,
            MaxItems = Options.EaseMaxItems,
            MaxDegreeOfParallelism = Options.MaxDegreeOfParallelism,
        });
        dense.Fit(data, new Random(0), cancellationToken);
        var k = Math.Min(Options.Neighbors, Math.Max(1, n - 1));
        var lists = new (int[] Items, float[] Sims)[n];
        Parallel.For(
            0,
            n,
            Parallelism.Options(Options.MaxDegreeOfParallelism, cancellationToken),
            () => new TopKHeap(k),
            (j, _, heap) =>
            {
                heap.Clear();
                for (var i = 0; i < n; i++)
                {
                    // Column j: what each item i lends to target j. Zero weights (the diagonal, items never seen
                    // together with anything) add nothing and are not kept.
                    var w = dense.WeightsFrom(i)[j];
                    if (i != j && w != 0)
                    {
                        heap.Offer(i, MathF.Abs(w));
                    }
                }

                var items = new int[heap.Count];
                heap.Drain(items);
                Array.Sort(items);
                var sims = new float[items.Length];
                for (var x = 0; x < items.Length; x++)
                {
                    sims[x] = dense.WeightsFrom(items[x])[j];
                }

                lists[j] = (items, sims);
                return heap;
            },
            _ => { });

        _neighbors = null;
        _contributions = Contributions(lists, n);
        _history = data.UserItems;
    }
}
