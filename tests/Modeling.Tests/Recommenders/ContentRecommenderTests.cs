using Cohortly.Modeling.Data;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Tests.Recommenders;

public sealed class ContentRecommenderTests
{
    private static (ContentRecommender Model, DatasetCatalog Catalog) Fit()
    {
        var b = new InteractionDatasetBuilder();
        b.AddItem("toy1", new ItemMetadata("Toy Story (1995)", ["Animation", "Children's", "Comedy"], ["pixar"]));
        b.AddItem("toy2", new ItemMetadata("Toy Story 2 (1999)", ["Animation", "Children's", "Comedy"], ["pixar", "sequel"]));
        b.AddItem("alien", new ItemMetadata("Alien (1979)", ["Horror", "Sci-Fi"], ["space"]));
        b.AddItem("aliens", new ItemMetadata("Aliens (1986)", ["Action", "Horror", "Sci-Fi"], ["space", "sequel"]));
        b.AddItem("cold", new ItemMetadata("Space Horror Returns (2024)", ["Horror", "Sci-Fi"], []));
        b.Add("u1", "toy1", 1, 1);
        b.Add("u2", "alien", 1, 2);
        b.Add("u2", "aliens", 1, 3);
        var data = b.Build();
        var model = new ContentRecommender();
        model.Fit(new TrainingData(data), new Random(1));
        return (model, data.Catalog);
    }

    [Fact]
    public void Item_to_item_similarity_follows_shared_titles_genres_and_tags()
    {
        var (model, catalog) = Fit();
        var toy1 = catalog.Items.IndexOf("toy1");
        var toy2 = catalog.Items.IndexOf("toy2");
        var alien = catalog.Items.IndexOf("alien");
        var scores = new float[catalog.ItemCount];

        model.SimilarItems(toy1, scores);

        Assert.Equal(1f, scores[toy1], 4);
        Assert.True(scores[toy2] > 0.5f);
        Assert.Equal(0f, scores[alien]);
        Assert.Equal(scores[toy2], model.Similarity(toy1, toy2), 4);
    }

    [Fact]
    public void A_cold_item_nobody_interacted_with_is_recommended_to_a_matching_profile()
    {
        var (model, catalog) = Fit();
        var u2 = catalog.Users.IndexOf("u2");
        var scores = new float[catalog.ItemCount];

        model.Score(u2, scores);
        var top = TopK.Select(scores, 1, [catalog.Items.IndexOf("alien"), catalog.Items.IndexOf("aliens")]);

        Assert.Equal(catalog.Items.IndexOf("cold"), top[0]);
    }
}
