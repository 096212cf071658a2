using Cohortly.Modeling.Data;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Tests.Recommenders;

/// <summary>EASE as a fit of item-kNN's neighbour lists (ItemKnnRecommender.Ease.cs).</summary>
public sealed class EaseNeighborsTests
{
    /// <summary>
    /// Users 1 {a, b}, 2 {a, b}, 3 {b, c}, 4 {a}, 5 {c}. Gram + λI with λ = 1 is [[4,2,0],[2,4,1],[0,1,3]]; its inverse P
    /// is [[11/32, −3/16, 1/16], [−3/16, 3/8, −1/8], [1/16, −1/8, 3/8]], and B[i, j] = −P[i, j] / P[j, j] off the diagonal:
    /// column a (what b and c lend to a) 6/11 and −2/11, column b 1/2 (a) and 1/3 (c), column c −1/6 (a) and 1/3 (b).
    /// </summary>
    private static (InteractionDataset Data, int A, int B, int C) Example()
    {
        var builder = new InteractionDatasetBuilder();
        foreach (var (u, i) in new[] { ("1", "a"), ("1", "b"), ("2", "a"), ("2", "b"), ("3", "b"), ("3", "c"), ("4", "a"), ("5", "c") })
        {
            builder.Add(u, i, 1, 0);
        }

        var data = builder.Build();
        return (data, data.Catalog.Items.IndexOf("a"), data.Catalog.Items.IndexOf("b"), data.Catalog.Items.IndexOf("c"));
    }

    private static ItemKnnRecommender Fit(InteractionDataset data, int neighbors)
    {
        var model = new ItemKnnRecommender(new ItemKnnOptions { Fit = ItemNeighborFit.Ease, EaseRegularization = 1, Neighbors = neighbors });
        model.Fit(new TrainingData(data), new Random(1));
        return model;
    }

    [Fact]
    public void Ease_neighbours_hold_the_hand_computed_weights_negative_ones_included()
    {
        var (data, a, b, c) = Example();

        var model = Fit(data, neighbors: 2);

        Assert.Equal([b, c], model.NeighborItems(a).ToArray());
        Assert.Equal(6f / 11, model.NeighborSimilarities(a)[0], 5);
        Assert.Equal(-2f / 11, model.NeighborSimilarities(a)[1], 5);
        Assert.Equal([a, c], model.NeighborItems(b).ToArray());
        Assert.Equal(1f / 2, model.NeighborSimilarities(b)[0], 5);
        Assert.Equal(1f / 3, model.NeighborSimilarities(b)[1], 5);
        Assert.Equal([a, b], model.NeighborItems(c).ToArray());
        Assert.Equal(-1f / 6, model.NeighborSimilarities(c)[0], 5);
        Assert.Equal(1f / 3, model.NeighborSimilarities(c)[1], 5);
    }

    [Fact]
    public void Truncation_keeps_each_items_largest_weights_by_magnitude_and_scores_only_what_it_kept()
    {
        var (data, a, b, c) = Example();

        var model = Fit(data, neighbors: 1);

        // Column a: |6/11| > |−2/11|; column b: 1/2 > 1/3; column c: |1/3| > |−1/6|.
        Assert.Equal([b], model.NeighborItems(a).ToArray());
        Assert.Equal([a], model.NeighborItems(b).ToArray());
        Assert.Equal([b], model.NeighborItems(c).ToArray());
        var scores = new float[3];
        model.ScoreItems([a], scores);
        // Dense EASE gives c −1/6 from a; that weight was cut, so c scores nothing.
        Assert.Equal(1f / 2, scores[b], 5);
        Assert.Equal(0f, scores[c]);
        Assert.Equal(0f, scores[a]);
    }

    [Fact]
    public void Untruncated_ease_neighbours_score_exactly_as_the_dense_model()
    {
        var planted = SyntheticInteractions.PlantedBlocks(80, 60, 3, 10, 0.8, new Random(5));
        var data = new TrainingData(planted.Data);
        var dense = new EaseRecommender(new EaseOptions { Regularization = 15 });
        dense.Fit(data, new Random(1));
        var sparse = new ItemKnnRecommender(new ItemKnnOptions { Fit = ItemNeighborFit.Ease, EaseRegularization = 15, Neighbors = data.ItemCount });
        sparse.Fit(data, new Random(1));
        var truncated = new ItemKnnRecommender(new ItemKnnOptions { Fit = ItemNeighborFit.Ease, EaseRegularization = 15, Neighbors = 5 });
        truncated.Fit(data, new Random(1));

        var expected = new float[data.ItemCount];
        var actual = new float[data.ItemCount];
        var cut = new float[data.ItemCount];
        var differs = 0;
        for (var u = 0; u < data.UserCount; u++)
        {
            dense.Score(u, expected);
            sparse.Score(u, actual);
            truncated.Score(u, cut);
            Assert.Equal(expected, actual);
            differs += expected.AsSpan().SequenceEqual(cut) ? 0 : 1;
        }

        // Keeping 5 of 59 weights per item must change the scores, or this test could not tell truncation apart.
        Assert.True(differs > 0);
    }

    [Fact]
    public void A_catalog_above_the_item_bound_is_refused_naming_the_setting()
    {
        var (data, _, _, _) = Example();
        var model = new ItemKnnRecommender(new ItemKnnOptions { Fit = ItemNeighborFit.Ease, EaseMaxItems = 2 });

        var e = Assert.Throws<InvalidOperationException>(() => model.Fit(new TrainingData(data), new Random(1)));

        Assert.Contains("EaseMaxItems", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ease_fit_survives_its_bytes_and_an_item_knn_of_format_1_reads_as_cosine()
    {
        var (data, a, _, _) = Example();
        var ease = Fit(data, neighbors: 2);

        var copy = (ItemKnnRecommender)RecommenderSerializer.Default.Deserialize(RecommenderSerializer.Default.Serialize(ease));

        Assert.Equal(ItemNeighborFit.Ease, copy.Options.Fit);
        Assert.Equal(1f, copy.Options.EaseRegularization);
        Assert.Equal(ease.NeighborSimilarities(a).ToArray(), copy.NeighborSimilarities(a).ToArray());

        // Format 1 is format 2 without the fit, λ and item bound (12 bytes after the version, k, shrinkage, asymmetry
        // and the IUF flag: 17 bytes).
        var cosine = new ItemKnnRecommender(new ItemKnnOptions { Neighbors = 2, Shrinkage = 1 });
        cosine.Fit(new TrainingData(data), new Random(1));
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            cosine.Write(writer);
        }

        var current = stream.ToArray();
        Assert.Equal(2, BitConverter.ToInt32(current, 0));
        var formatOne = current[..17].Concat(current[29..]).ToArray();
        BitConverter.TryWriteBytes(formatOne.AsSpan(0), 1);
        using var reader = new BinaryReader(new MemoryStream(formatOne));

        var old = ItemKnnRecommender.Read(reader);

        Assert.Equal(ItemNeighborFit.Cosine, old.Options.Fit);
        Assert.Equal(cosine.NeighborItems(a).ToArray(), old.NeighborItems(a).ToArray());
        Assert.Equal(cosine.NeighborSimilarities(a).ToArray(), old.NeighborSimilarities(a).ToArray());
    }
}
