using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Training;
using Cohortly.TestSupport;

namespace Cohortly.Modeling.Tests.Training;

public sealed class TrainingPipelineTests
{
    private static readonly Func<Cohortly.Demo.Synthetic.SyntheticUser, IReadOnlyDictionary<string, string>?> Attributes =
        u => new Dictionary<string, string> { ["segment"] = u.Type.ToString(), ["country"] = u.Id.EndsWith('1') ? "DE" : "FR" };

    private static TrainingWorld Small(int seed = 5) => TrainingWorld.Create(users: 200, items: 300, days: 14, seed: seed, attributes: Attributes);

    [Fact]
    public void Same_events_in_any_order_give_a_byte_identical_bundle()
    {
        var world = Small();
        var shuffled = world.Input.Events.ToArray();
        new Random(3).Shuffle(shuffled);
        var catalog = world.Input.Catalog.ToArray();
        new Random(4).Shuffle(catalog);

        var a = TrainingPipeline.Run(world.Input, new TrainingOptions());
        var b = TrainingPipeline.Run(world.Input with { Events = shuffled, Catalog = catalog }, new TrainingOptions());

        Assert.Equal(WithoutTimings(a).ToBytes(), WithoutTimings(b).ToBytes());
    }

    [Fact]
    public void A_different_seed_gives_a_different_model()
    {
        var world = Small();

        var a = TrainingPipeline.Run(world.Input, new TrainingOptions());
        var b = TrainingPipeline.Run(world.Input, new TrainingOptions { Seed = 43 });

        Assert.NotEqual(WithoutTimings(a).ToBytes(), WithoutTimings(b).ToBytes());
    }

    [Fact]
    public void Bundle_read_back_scores_assigns_and_reports_the_same()
    {
        var world = Small();
        var bundle = TrainingPipeline.Run(world.Input, new TrainingOptions());

        var copy = ModelBundle.FromBytes(bundle.ToBytes());

        Assert.Equal(bundle.Version, copy.Version);
        Assert.Equal(bundle.TrainedAt, copy.TrainedAt);
        Assert.Equal(bundle.ItemIds, copy.ItemIds);
        Assert.Equal(bundle.UserIds, copy.UserIds);
        Assert.Equal(bundle.UserCohortIds, copy.UserCohortIds);
        Assert.Equal(bundle.GroupCohortIds, copy.GroupCohortIds);
        Assert.Equal(bundle.Segmentation.CohortIds, copy.Segmentation.CohortIds);
        Assert.Equal(bundle.Segmentation.Labels, copy.Segmentation.Labels);
        Assert.Equal(bundle.Summary with { Stages = [] }, copy.Summary with { Stages = [] });
        Assert.Equal(bundle.Summary.Stages, copy.Summary.Stages);
        Assert.Equal(bundle.Cohorts.Count, copy.Cohorts.Count);
        for (var k = 0; k < bundle.Cohorts.Count; k++)
        {
            Assert.Equal(bundle.Cohorts[k] with { Weights = null! }, copy.Cohorts[k] with { Weights = null! });
            Assert.Equal(bundle.Cohorts[k].Weights, copy.Cohorts[k].Weights);
        }

        Assert.Equal(bundle.Policies, copy.Policies);
        Assert.Equal(bundle.Items.Select(i => string.Join("|", i.Categories)), copy.Items.Select(i => string.Join("|", i.Categories)));
        Assert.Equal(bundle.UserItems.ColumnIndices, copy.UserItems.ColumnIndices);
        Assert.Same(copy.Factors, copy.Scorer.Signals[0].Model);

        var n = bundle.ItemIds.Count;
        float[] a = new float[n], b = new float[n];
        foreach (var u in new[] { 0, 17, 150 })
        {
            bundle.Scorer.Score(u, a);
            copy.Scorer.Score(u, b);
            Assert.Equal(a, b);
            var features = new float[bundle.Segmentation.Dimensions];
            var random = new Random(u);
            for (var f = 0; f < features.Length; f++)
            {
                features[f] = (float)(random.NextDouble() * 3);
            }

            Assert.Equal(bundle.Segmentation.Assign(features), copy.Segmentation.Assign(features));
        }

        int[] recent = [3, 40, 41];
        for (var g = -1; g < bundle.GroupCohortIds.Count; g++)
        {
            bundle.Scorer.ScoreItemsInCohort(g, recent, a);
            copy.Scorer.ScoreItemsInCohort(g, recent, b);
            Assert.Equal(a, b);
        }

        bundle.Neighbors.ScoreItems(recent, a);
        copy.Neighbors.ScoreItems(recent, b);
        Assert.Equal(a, b);
        Assert.Equal(bundle.Context.Lift(3, "mobile", 23), copy.Context.Lift(3, "mobile", 23));
        var attrs = new Dictionary<string, string> { ["segment"] = "BargainHunter", ["country"] = "FR" };
        Assert.Equal(bundle.Provisional.Predict(attrs, "mobile"), copy.Provisional.Predict(attrs, "mobile"));
    }

    [Fact]
    public void Provisional_model_learns_cohorts_from_attributes_of_trained_users()
    {
        var world = Small();
        var bundle = TrainingPipeline.Run(world.Input, new TrainingOptions());

        // The planted type is an attribute here, so its most common trained cohort is what a newcomer should get.
        var hits = 0;
        foreach (var user in world.World.Users)
        {
            var predicted = bundle.Provisional.Predict(new Dictionary<string, string> { ["segment"] = user.Type.ToString() }, user.Device);
            hits += predicted == bundle.TrainedCohortOf(user.Id) ? 1 : 0;
        }

        Assert.True(hits >= world.World.Users.Count * 0.7, $"{hits} of {world.World.Users.Count}");
    }

    [Fact]
    public void Retraining_with_the_previous_segmentation_keeps_cohort_ids_of_users()
    {
        var world = Small();
        var first = TrainingPipeline.Run(world.Input, new TrainingOptions());
        var relabelled = first.Segmentation with { CohortIds = first.Segmentation.CohortIds.Select(id => id + 100).ToArray() };

        var second = TrainingPipeline.Run(world.Input with { PreviousSegmentation = relabelled, Version = 2 }, new TrainingOptions());

        Assert.Equal(2, second.Version);
        Assert.Equal(first.UserCohortIds.Select(id => id + 100), second.UserCohortIds);
        Assert.Equal(second.Segmentation.CohortIds, second.GroupCohortIds);

        // Training publishes through the same version builder: a transition table over every trained user.
        var published = second.SegmentationVersion!;
        Assert.Equal(SegmentationRunKind.Training, published.Kind);
        Assert.Equal(2, published.ModelVersion);
        Assert.Equal(1, published.PreviousVersion);
        Assert.Equal(second.UserIds.Count, published.Transitions.Sum(t => t.Users));
        Assert.Equal(second.UserIds.Count, published.Transitions.Where(t => t.From == t.To).Sum(t => t.Users));
        Assert.Equal(second.UserIds.Count, published.SampleCounts.Sum());
        Assert.Empty(first.SegmentationVersion!.Transitions);

        // The drift references of a training version are recorded (not null, which would mean the old cohort-share
        // comparison); this small world has fewer active users in the day than ActivePopulation.MinUsers, so both are
        // empty and the monitor skips both checks until the next training.
        Assert.Equal(TimeSpan.FromDays(1), published.FeatureReferenceWindow);
        Assert.NotNull(published.ActiveCohortCounts);
        Assert.Empty(published.ActiveCohortCounts);
        Assert.Empty(published.FeatureReference);
    }

    [Fact]
    public void Every_cohort_gets_the_policy_the_options_ask_for()
    {
        var expected = new ServingPolicy(new ThompsonExploration(2, 3), 0.7, 2);
        var options = new TrainingOptions { DefaultPolicy = expected };

        var bundle = TrainingPipeline.Run(Small().Input, options);

        Assert.Equal(expected, bundle.DefaultPolicy);
        Assert.Equal(bundle.GroupCohortIds.Order(), bundle.Policies.Keys.Order());
        Assert.All(bundle.Policies.Values, p => Assert.Equal(expected, p));
    }

    [Fact]
    public void Corrupt_or_foreign_bytes_are_rejected()
    {
        var bytes = TrainingPipeline.Run(Small().Input, new TrainingOptions()).ToBytes();

        Assert.Throws<InvalidDataException>(() => ModelBundle.FromBytes(bytes.AsSpan(0, bytes.Length / 2)));
        Assert.Throws<InvalidDataException>(() => ModelBundle.FromBytes(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }));
        var wrongVersion = (byte[])bytes.Clone();
        wrongVersion[4] = 99;
        var e = Assert.Throws<InvalidDataException>(() => ModelBundle.FromBytes(wrongVersion));
        Assert.Contains("version 99", e.Message);
    }

    [Fact]
    public void Progress_runs_through_the_stages_in_order_up_to_one()
    {
        var seen = new List<TrainingProgress>();

        TrainingPipeline.Run(Small().Input, new TrainingOptions(), new Collect(seen.Add));

        Assert.Equal(["reading", "features", "segmentation", "tuning", "backbone", "cohorts", "metrics", "purchase", "ranker", "refit", "packaging"], seen.Select(p => p.Stage).Distinct());
        for (var k = 1; k < seen.Count; k++)
        {
            Assert.True(seen[k].Fraction >= seen[k - 1].Fraction, $"{seen[k - 1]} then {seen[k]}");
        }

        Assert.Equal(0, seen[0].Fraction);
        Assert.Equal(1.0, seen[^1].Fraction, 12);
    }

    [Fact]
    public void Cancellation_during_a_stage_stops_the_run()
    {
        using var cancel = new CancellationTokenSource();
        var progress = new Collect(p =>
        {
            if (p.Stage == "backbone")
            {
                cancel.Cancel();
            }
        });

        Assert.ThrowsAny<OperationCanceledException>(() => TrainingPipeline.Run(Small().Input, new TrainingOptions(), progress, cancel.Token));
    }

    [Fact]
    public void A_log_with_one_user_fails_with_a_reason()
    {
        var start = TrainingWorld.End.ToUnixTimeMilliseconds();
        Interaction[] events = [new("solo", "a", InteractionType.Purchase, 10, start, "mobile"), new("solo", "b", InteractionType.View, null, start + 1000, "mobile")];
        var input = new TrainingInput(events, [], [], null, 1, TrainingWorld.End);

        var e = Assert.Throws<InsufficientTrainingDataException>(() => TrainingPipeline.Run(input, new TrainingOptions()));

        Assert.Contains("at least 2 users", e.Message);
    }

    [Fact]
    public void A_log_without_positive_interactions_fails_with_a_reason()
    {
        var start = TrainingWorld.End.ToUnixTimeMilliseconds();
        Interaction[] events =
        [
            new("u1", "a", InteractionType.Dismiss, null, start, null),
            new("u2", "a", InteractionType.Rating, 1, start + 1, null),
            new("u2", "b", InteractionType.Rating, 2.5, start + 2, null),
        ];
        var input = new TrainingInput(events, [], [], null, 1, TrainingWorld.End);

        var e = Assert.Throws<InsufficientTrainingDataException>(() => TrainingPipeline.Run(input, new TrainingOptions()));

        Assert.Contains("positive interactions", e.Message);
    }

    [Fact]
    public void Events_with_an_unknown_type_or_no_user_are_skipped_and_counted_not_fatal()
    {
        Interaction[] events = [new("u1", "a", InteractionType.View, null, 1, null), new("u2", "a", (InteractionType)42, null, 2, null), new("", "a", InteractionType.View, null, 3, null)];
        var input = new TrainingInput(events, [], [], null, 1, TrainingWorld.End);

        // Only u1 is left once the two bad rows are skipped: too few users is the reason given, with the skip count.
        var e = Assert.Throws<InsufficientTrainingDataException>(() => TrainingPipeline.Run(input, new TrainingOptions()));

        Assert.Contains("2 skipped", e.Message);
        Assert.Contains("from 1 user(s)", e.Message);
    }

    [Fact]
    public void Invalid_options_fail_before_any_work()
    {
        var e = Assert.Throws<ArgumentException>(() => TrainingPipeline.Run(Small().Input, new TrainingOptions { DefaultPolicy = new ServingPolicy(new EpsilonGreedyExploration(1.5), 0.9, 1) }));

        Assert.Contains("DefaultPolicy.exploration.epsilon", e.Message);
        Assert.Throws<ArgumentException>(() => new TrainingOptions { HoldoutFraction = 0.9 }.Validate());
    }

    private static ModelBundle WithoutTimings(ModelBundle b) => ModelBundleCopy.With(b, summary: b.Summary with { Stages = [] }, tuning: b.Tuning?.WithoutTimings());

    /// <summary>Synchronous progress (Progress&lt;T&gt; would post to the thread pool and arrive late).</summary>
    private sealed class Collect(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
