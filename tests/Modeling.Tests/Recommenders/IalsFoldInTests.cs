using System.Numerics.Tensors;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Tests.Recommenders;

public sealed class IalsFoldInTests
{
    [Fact]
    public void Folding_in_a_users_training_items_reproduces_the_trained_user_vector()
    {
        var planted = Planted.Data();
        var training = Planted.Training(planted);
        var model = new IalsRecommender(new IalsOptions { Factors = 16, Iterations = 10, Regularization = 2, Alpha = 4, ConjugateGradientSteps = 3 });
        model.Fit(training, new Random(1));
        var folded = new float[16];
        var trainedScores = new float[Planted.Items];
        var foldedScores = new float[Planted.Items];

        foreach (var u in new[] { 0, 1, 57, 198 })
        {
            model.FoldIn(training.UserItems.RowColumns(u), folded);
            var trained = model.UserFactors(u);
            var cosine = TensorPrimitives.CosineSimilarity(trained, folded);
            Assert.True(cosine > 0.99, $"user {u}: cosine {cosine:F4}");

            model.Score(u, trainedScores);
            model.ScoreItems(training.UserItems.RowColumns(u), foldedScores);
            var maxScore = TensorPrimitives.MaxMagnitude(trainedScores);
            var maxDiff = TensorPrimitives.MaxMagnitude(Diff(trainedScores, foldedScores));
            Assert.True(maxDiff < 0.05 * maxScore, $"user {u}: scores differ by {maxDiff} (max score {maxScore})");
        }
    }

    [Theory]
    [InlineData(1f, 0f)]
    [InlineData(0f, 0.5f)]
    public void Fold_in_matches_training_with_scaled_regularization_or_popularity_weighted_negatives(float nu, float gamma)
    {
        var planted = Planted.Data();
        var training = Planted.Training(planted);
        var model = new IalsRecommender(new IalsOptions
        {
            Factors = 16,
            Iterations = 10,
            Regularization = 2,
            Alpha = 4,
            RegularizationExponent = nu,
            UnobservedPopularityExponent = gamma,
        });
        model.Fit(training, new Random(1));
        var folded = new float[16];

        foreach (var u in new[] { 3, 120 })
        {
            model.FoldIn(training.UserItems.RowColumns(u), folded);
            Assert.True(TensorPrimitives.CosineSimilarity(model.UserFactors(u), folded) > 0.99);
        }
    }

    [Fact]
    public void Fold_in_of_a_few_block_items_points_a_new_user_at_that_block()
    {
        var planted = Planted.Data();
        var model = new IalsRecommender(new IalsOptions { Factors = 8, Iterations = 8, Regularization = 5, Alpha = 5 });
        model.Fit(Planted.Training(planted), new Random(1));
        var scores = new float[Planted.Items];

        // Three items of the second block (60..119), as a brand-new visitor's recent history.
        model.ScoreItems([61, 65, 70], scores);
        var top = TopK.Select(scores, 10, [61, 65, 70]);

        Assert.All(top, i => Assert.InRange(i, 60, 119));
    }

    [Fact]
    public void Fold_in_ignores_items_newer_than_the_model()
    {
        var planted = Planted.Data();
        var model = new IalsRecommender(new IalsOptions { Factors = 8, Iterations = 2 });
        model.Fit(Planted.Training(planted), new Random(1));
        var a = new float[8];
        var b = new float[8];

        model.FoldIn([3, 5], a);
        model.FoldIn([3, 5, Planted.Items + 10, -1], b);

        Assert.Equal(a, b);
    }

    private static float[] Diff(float[] x, float[] y)
    {
        var d = new float[x.Length];
        TensorPrimitives.Subtract(x, y, d);
        return d;
    }
}
