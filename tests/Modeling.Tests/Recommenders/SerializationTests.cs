using Cohortly.Modeling.Data;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Tests.Recommenders;

public sealed class SerializationTests
{
    public static TheoryData<string> Kinds => ["popularity", "itemknn", "ials", "ease", "content", "blend"];

    private static IRecommender Create(string kind) => kind switch
    {
        "popularity" => new PopularityRecommender(new PopularityOptions { ByGroup = true, HalfLife = TimeSpan.FromDays(3) }),
        "itemknn" => new ItemKnnRecommender(new ItemKnnOptions { Neighbors = 10 }),
        "ials" => new IalsRecommender(new IalsOptions { Factors = 8, Iterations = 3, RegularizationExponent = 0.5f, UnobservedPopularityExponent = 0.5f }),
        "ease" => new EaseRecommender(new EaseOptions { Regularization = 20 }),
        "content" => new ContentRecommender(),
        "blend" => new BlendRecommender([new(new ItemKnnRecommender(), 1f), new(new IalsRecommender(new IalsOptions { Factors = 4, Iterations = 2 }), 0.5f)]),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static TrainingData Training()
    {
        var planted = SyntheticInteractions.PlantedBlocks(60, 40, 2, 8, 0.9, new Random(3));
        var b = new InteractionDatasetBuilder();
        var d = planted.Data;
        for (var i = 0; i < d.ItemCount; i++)
        {
            b.AddItem(d.Catalog.Items[i], new ItemMetadata($"Item {i} block{i / 20}", [i < 20 ? "left" : "right"], []));
        }

        for (var r = 0; r < d.Count; r++)
        {
            b.Add(d.Catalog.Users[d.Users[r]], d.Catalog.Items[d.Items[r]], d.Values[r], d.Timestamps[r]);
        }

        return new TrainingData(b.Build(), planted.UserGroups);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Serialized_model_scores_exactly_like_the_original(string kind)
    {
        var training = Training();
        var model = Create(kind);
        model.Fit(training, new Random(2));

        var bytes = RecommenderSerializer.Default.Serialize(model);
        var loaded = RecommenderSerializer.Default.Deserialize(bytes);

        Assert.Equal(model.GetType(), loaded.GetType());
        Assert.Equal(model.ItemCount, loaded.ItemCount);
        Assert.Equal(model.UserCount, loaded.UserCount);
        var a = new float[model.ItemCount];
        var b = new float[model.ItemCount];
        foreach (var u in new[] { 0, 7, 59 })
        {
            model.Score(u, a);
            loaded.Score(u, b);
            Assert.Equal(a, b);
        }

        model.ScoreItems([1, 2, 30], a);
        loaded.ScoreItems([1, 2, 30], b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Artifact_bundle_keeps_the_external_ids()
    {
        var training = Training();
        var model = new ItemKnnRecommender();
        model.Fit(training, new Random(2));

        var back = ModelArtifact.FromBytes(ModelArtifact.From(model, training.Catalog).ToBytes());

        Assert.Equal(training.Catalog.Items.Ids, back.ItemIds);
        Assert.Equal(training.Catalog.Users.Ids, back.UserIds);
        Assert.IsType<ItemKnnRecommender>(back.Model);
    }

    [Fact]
    public void Unknown_kind_and_foreign_bytes_are_rejected()
    {
        var training = Training();
        var model = new PopularityRecommender();
        model.Fit(training, new Random(2));
        var bytes = RecommenderSerializer.Default.Serialize(model);
        var withoutPopularity = new RecommenderSerializer().With("other", (_, _) => throw new InvalidOperationException());

        Assert.Throws<InvalidDataException>(() => RecommenderSerializer.Default.Deserialize([1, 2, 3, 4, 5, 6, 7, 8]));
        var custom = withoutPopularity.With("popularity-v2", (r, _) => PopularityRecommender.Read(r));
        Assert.Contains("popularity-v2", custom.Kinds);
        Assert.IsType<PopularityRecommender>(custom.Deserialize(bytes));
    }

    [Fact]
    public void Newer_model_format_version_is_refused_with_a_clear_message()
    {
        var training = Training();
        var model = new PopularityRecommender();
        model.Fit(training, new Random(2));
        var bytes = RecommenderSerializer.Default.Serialize(model);
        // Container: magic (4) + version (4) + kind string (1-byte length + 10 chars); then the model's version.
        var at = 8 + 1 + PopularityRecommender.KindName.Length;
        bytes[at] = 99;

        var e = Assert.Throws<InvalidDataException>(() => RecommenderSerializer.Default.Deserialize(bytes));

        Assert.Contains("version 99", e.Message, StringComparison.Ordinal);
    }
}
