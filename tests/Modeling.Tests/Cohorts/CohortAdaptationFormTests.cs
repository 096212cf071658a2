using Cohortly.Modeling.Cohorts;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Recommenders;
using Xunit.Abstractions;

namespace Cohortly.Modeling.Tests.Cohorts;

/// <summary>
/// The offset forms (empirical-Bayes item bias, decayed cohort popularity) on a personalised backbone (item-kNN plus
/// popularity): adopted where a cohort has a planted taste and measurably better there on test; on a world whose
/// cohorts carry no taste, adopted rarely (the false adoption rate is measured and bounded).
/// </summary>
public sealed class CohortAdaptationFormTests(ITestOutputHelper output)
{
    private static readonly CohortAdaptationForm[] OffsetForms = [CohortAdaptationForm.ItemBias, CohortAdaptationForm.DecayedPopularity];

    /// <summary>
    /// Item-kNN plus popularity, the popularity weight tuned on validation over all users (as the pipeline tunes its
    /// blend): a cohort form must beat the best global blend, not an untuned one.
    /// </summary>
    private static CohortSignal[] Backbone(TrainingData train, DatasetSplit split)
    {
        var knn = new ItemKnnRecommender(new ItemKnnOptions { Neighbors = 40 });
        knn.Fit(train, new Random(1));
        var popularity = new PopularityRecommender();
        popularity.Fit(train, new Random(1));
        var validation = RankingEvaluator.ForValidation(split, new RankingEvaluatorOptions { ComputeBeyondAccuracy = false });
        var best = (Weight: 0f, Ndcg: double.NegativeInfinity);
        foreach (var w in new[] { 0f, 0.1f, 0.25f, 0.5f, 1f, 2f })
        {
            var ndcg = validation.Evaluate(new BlendRecommender([new BlendComponent(knn, 1), new BlendComponent(popularity, w)], fitComponents: false)).Overall.Ndcg;
            if (ndcg > best.Ndcg)
            {
                best = (w, ndcg);
            }
        }

        return [new CohortSignal("itemknn", knn, 1), new CohortSignal("popularity", popularity, best.Weight)];
    }

    private static (CohortAwareRecommender Model, DatasetSplit Split, int[] Groups) Fit(int seed, bool shuffleGroups, IReadOnlyList<CohortAdaptationForm> forms)
    {
        var (split, groups) = CohortWorlds.PlantedTastes(seed, shuffleGroups: shuffleGroups);
        var train = new TrainingData(split.Train, groups);
        var model = new CohortAwareRecommender(Backbone(train, split), SparseMatrix.UserItem(split.Validation), new CohortStrategyOptions { Forms = forms });
        model.Fit(train, new Random(seed + 2));
        return (model, split, groups);
    }

    /// <summary>Per test user of a group: NDCG@10 of the cohort model minus that of its global view (train and validation items excluded).</summary>
    private static double[] TestDifferences(CohortAwareRecommender model, DatasetSplit split, int[] groups, int group)
    {
        var seen = SparseMatrix.UserItem(split.Train);
        var validation = SparseMatrix.UserItem(split.Validation);
        var test = SparseMatrix.UserItem(split.Test);
        var global = model.GlobalOnly();
        var a = new float[model.ItemCount];
        var b = new float[model.ItemCount];
        var differences = new List<double>();
        for (var u = 0; u < groups.Length; u++)
        {
            if (groups[u] != group || test.RowLength(u) == 0)
            {
                continue;
            }

            model.Score(u, a);
            global.Score(u, b);
            foreach (var i in seen.RowColumns(u))
            {
                a[i] = b[i] = float.NegativeInfinity;
            }

            foreach (var i in validation.RowColumns(u))
            {
                a[i] = b[i] = float.NegativeInfinity;
            }

            var adapted = RankingMetrics.Compute(TopK.Select(a, 10), test.RowColumns(u), 10).Ndcg;
            var baseline = RankingMetrics.Compute(TopK.Select(b, 10), test.RowColumns(u), 10).Ndcg;
            differences.Add(adapted - baseline);
        }

        return [.. differences];
    }

    private static (double Mean, double StandardError) MeanAndError(double[] values)
    {
        var mean = values.Average();
        var variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
        return (mean, Math.Sqrt(variance / values.Length));
    }

    [Theory]
    [InlineData(CohortAdaptationForm.ItemBias)]
    [InlineData(CohortAdaptationForm.DecayedPopularity)]
    public void Planted_cohorts_adopt_the_offset_form_and_are_significantly_better_on_test(CohortAdaptationForm form)
    {
        var (model, split, groups) = Fit(seed: 1, shuffleGroups: false, [form]);

        var planted = new List<double>();
        for (var g = 0; g < 2; g++)
        {
            var d = model.Decisions[g];
            output.WriteLine($"group {g}: {d.Form} w={d.OffsetWeight} oof gain {d.OutOfFoldGain:+0.0000;-0.0000} ± {d.OutOfFoldStandardError:0.0000}");
            Assert.True(d.Adapted, $"group {g}: {d}");
            Assert.Equal(form, d.Form);
            Assert.True(d.OffsetWeight > 0);
            Assert.True(d.OutOfFoldGain >= 2 * d.OutOfFoldStandardError);
            Assert.False(model.OffsetOf(g).IsEmpty, "an adopted offset form serves an offset");

            var differences = TestDifferences(model, split, groups, g);
            var (gain, error) = MeanAndError(differences);
            output.WriteLine($"group {g}: test gain {gain:+0.0000;-0.0000} ± {error:0.0000}");
            Assert.True(gain > 0, $"group {g}: test gain {gain:F4} ± {error:F4}");
            planted.AddRange(differences);
        }

        // On test users never used for selection, over both planted cohorts: better beyond two standard errors.
        var (pooled, pooledError) = MeanAndError([.. planted]);
        output.WriteLine($"planted cohorts: test gain {pooled:+0.0000;-0.0000} ± {pooledError:0.0000}");
        Assert.True(pooled > 2 * pooledError, $"planted cohorts: test gain {pooled:F4} ± {pooledError:F4}");
    }

    [Fact]
    public void Evidence_lists_every_form_tried_with_gain_and_standard_error()
    {
        var (model, _, _) = Fit(seed: 1, shuffleGroups: false, [CohortAdaptationForm.Weights, .. OffsetForms]);

        foreach (var d in model.Decisions)
        {
            Assert.Equal([CohortAdaptationForm.Weights, .. OffsetForms], d.Evidence.Select(e => e.Form));
            if (d.Adapted)
            {
                var chosen = d.Evidence.Single(e => e.Form == d.Form);
                Assert.Equal(d.OutOfFoldGain, chosen.Gain);
                Assert.True(chosen.Z >= 2, $"adopted at z {chosen.Z:F2}");
                Assert.All(d.Evidence.Where(e => e.Z >= 2), e => Assert.True(e.Gain <= chosen.Gain));
            }
            else
            {
                Assert.Equal(CohortAdaptationForm.Global, d.Form);
                Assert.True(model.OffsetOf(d.Group).IsEmpty);
            }
        }

        Assert.Contains(model.Decisions, d => d.Adapted);
    }

    [Fact]
    public void Without_a_cohort_effect_forms_are_rarely_adopted_over_many_seeds()
    {
        // Three forms, each a one-sided test at z = 2 (2.3%), per cohort: at most about 7% of cohorts adopt something
        // by chance. 20 worlds × 3 cohorts; the bound (10%) leaves room for chance but not for a gate that adopts
        // noise (the in-sample gate adopts in most cohorts of these worlds).
        var decisions = 0;
        var adopted = 0;
        for (var seed = 1; seed <= 20; seed++)
        {
            var (model, _, _) = Fit(seed, shuffleGroups: true, [CohortAdaptationForm.Weights, .. OffsetForms]);
            foreach (var d in model.Decisions)
            {
                decisions++;
                if (d.Adapted)
                {
                    adopted++;
                    output.WriteLine($"seed {seed} group {d.Group}: adopted {d.Form} at {d.OutOfFoldGain:+0.0000} ± {d.OutOfFoldStandardError:0.0000}");
                }
            }
        }

        output.WriteLine($"false adoption rate: {adopted} of {decisions} cohorts");
        Assert.True(adopted <= decisions / 10, $"{adopted} of {decisions} cohorts without an effect adopted a form");
    }

    [Fact]
    public void A_model_with_an_adopted_offset_reads_back_with_the_same_scores_decisions_and_evidence()
    {
        var (model, _, _) = Fit(seed: 1, shuffleGroups: false, [CohortAdaptationForm.ItemBias]);
        Assert.Contains(model.Decisions, d => d.Form == CohortAdaptationForm.ItemBias);

        var copy = (CohortAwareRecommender)RecommenderSerializer.Default.Deserialize(RecommenderSerializer.Default.Serialize(model));

        var a = new float[model.ItemCount];
        var b = new float[model.ItemCount];
        foreach (var user in new[] { 0, 1, 2, 100, 301 })
        {
            model.Score(user, a);
            copy.Score(user, b);
            Assert.Equal(a, b);
        }

        for (var g = 0; g < model.GroupCount; g++)
        {
            Assert.Equal(model.Decisions[g].Form, copy.Decisions[g].Form);
            Assert.Equal(model.Decisions[g].OffsetWeight, copy.Decisions[g].OffsetWeight);
            Assert.Equal(model.Decisions[g].Evidence, copy.Decisions[g].Evidence);
            Assert.Equal(model.OffsetOf(g).ToArray(), copy.OffsetOf(g).ToArray());
        }
    }

    [Fact]
    public void Refit_from_decisions_recomputes_the_adopted_offsets_on_the_new_data()
    {
        var (model, split, groups) = Fit(seed: 1, shuffleGroups: false, [CohortAdaptationForm.ItemBias]);
        var all = new TrainingData(split.Train, groups);

        var refit = CohortAwareRecommender.FromDecisions(model.Signals, all, model.Decisions, model.Options);

        for (var g = 0; g < model.GroupCount; g++)
        {
            Assert.Equal(model.OffsetOf(g).ToArray(), refit.OffsetOf(g).ToArray());
        }
    }

    [Fact]
    public void Item_bias_is_zero_for_a_cohort_no_more_dispersed_than_chance()
    {
        // Every group takes exactly the same items: the counts match the expected ones, so τ is infinite.
        var builder = new InteractionDatasetBuilder();
        for (var i = 0; i < 5; i++)
        {
            builder.AddItem(Id("i", i));
        }

        for (var u = 0; u < 6; u++)
        {
            builder.AddUser(Id("u", u));
            for (var i = 0; i < 3; i++)
            {
                builder.Add(Id("u", u), Id("i", i), 1, 100 + u);
            }
        }

        var data = new TrainingData(builder.Build(), [0, 0, 0, 1, 1, 1]);

        var offsets = CohortOffsets.ItemBias(data, out var tau);

        Assert.All(tau, t => Assert.True(double.IsPositiveInfinity(t)));
        Assert.All(offsets, row => Assert.All(row, v => Assert.Equal(0f, v)));
    }

    private static string Id(string prefix, int n) => prefix + n.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Pseudo_count_is_small_for_strong_cohort_differences_and_infinite_for_none()
    {
        Assert.True(double.IsPositiveInfinity(CohortOffsets.EstimatePseudoCount([10, 10, 10], [10, 10, 10])));
        var strong = CohortOffsets.EstimatePseudoCount([40, 0, 20], [20, 20, 20]);
        var mild = CohortOffsets.EstimatePseudoCount([28, 12, 20], [20, 20, 20]);
        Assert.True(strong > 0 && strong < mild, $"τ strong {strong:F2}, mild {mild:F2}");
    }
}
