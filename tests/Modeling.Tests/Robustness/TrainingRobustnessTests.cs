using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Tests.Training;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Robustness;

/// <summary>One user's bad rows never fail a run; they are skipped and counted. Segmentation degrades with too few distinct users.</summary>
public sealed class TrainingRobustnessTests
{
    private static TrainingWorld Small() => TrainingWorld.Create(users: 120, items: 150, days: 10, seed: 11);

    [Fact]
    public void Bad_rows_are_skipped_and_counted_and_the_run_still_produces_a_model()
    {
        var world = Small();
        var t = TrainingWorld.End.AddHours(-1).ToUnixTimeMilliseconds();
        var poison = new List<Interaction>
        {
            new("whale", "item-x", InteractionType.Purchase, 1e308, t, null),
            new("whale", "item-x", InteractionType.Purchase, 1e308, t + 1, null),
            new("whale", "item-y", InteractionType.Purchase, double.PositiveInfinity, t + 2, null),
            new("whale", "item-y", InteractionType.Rating, double.NaN, t + 3, null),
            new("whale", "item-y", InteractionType.Purchase, -5, t + 4, null),
            new(string.Empty, "item-y", InteractionType.View, null, t + 5, null),
            new("whale", string.Empty, InteractionType.View, null, t + 6, null),
            new("whale", "item-y", (InteractionType)99, null, t + 7, null),
            new("whale", "item-z", InteractionType.View, null, -1, null),
        };
        var input = world.Input with { Events = [.. world.Input.Events, .. poison] };

        var bundle = TrainingPipeline.Run(input, new TrainingOptions());

        Assert.Equal(poison.Count, bundle.Summary.SkippedEvents);
        Assert.Equal(world.Input.Events.Count + poison.Count, bundle.Summary.Events);
        Assert.DoesNotContain("whale", bundle.UserIds);
        Assert.All(bundle.Segmentation.Centroids, c => Assert.All(c, v => Assert.True(float.IsFinite(v))));
    }

    [Fact]
    public void A_clean_log_skips_nothing_and_gives_the_same_model_as_before_the_guards()
    {
        var world = Small();
        var tolerant = TrainingPipeline.Run(world.Input, new TrainingOptions());

        Assert.Equal(0, tolerant.Summary.SkippedEvents);
        Assert.Equal(world.World.Users.Count, tolerant.UserIds.Count);
    }

    [Fact]
    public void Purchases_at_the_documented_maximum_are_kept_and_train()
    {
        var world = Small();
        var t = TrainingWorld.End.AddHours(-1).ToUnixTimeMilliseconds();
        var input = world.Input with
        {
            Events = [.. world.Input.Events, new("big-spender", "item-x", InteractionType.Purchase, InteractionBounds.MaxValue, t, null), new("big-spender", "item-y", InteractionType.Purchase, InteractionBounds.MaxValue, t + 1, null)],
        };

        var bundle = TrainingPipeline.Run(input, new TrainingOptions());

        Assert.Equal(0, bundle.Summary.SkippedEvents);
        Assert.Contains("big-spender", bundle.UserIds);
    }

    [Fact]
    public void Segmentation_with_fewer_distinct_users_than_k_fits_as_many_clusters_as_there_are_distinct_users()
    {
        // Six users, but only two distinct feature vectors: k = 5 cannot be honoured.
        float[] a = [1, 2, 3], b = [4, 0, 1];
        var raw = FeatureMatrix.FromRows([a, a, a, b, b, b]);

        var model = SegmentationBuilder.Build(raw, ["x", "y", "z"], previous: null, version: 1, new SegmentationOptions { K = 5 });

        Assert.Equal(2, model.Centroids.Count);
        Assert.NotEqual(model.Assign(a), model.Assign(b));
    }

    [Fact]
    public void Segmentation_of_identical_users_gives_one_cohort_instead_of_throwing()
    {
        float[] a = [1, 2, 3];
        var raw = FeatureMatrix.FromRows([a, a, a, a]);

        var model = SegmentationBuilder.Build(raw, ["x", "y", "z"], previous: null, version: 1, new SegmentationOptions { K = 3 });

        Assert.Single(model.Centroids);
    }

    [Fact]
    public void Segmentation_rows_with_non_finite_cells_do_not_poison_the_centroids()
    {
        var rows = new List<float[]>();
        for (var i = 0; i < 30; i++)
        {
            rows.Add([i % 3, i % 5, i]);
        }

        rows.Add([float.PositiveInfinity, float.NaN, 1]);

        var model = SegmentationBuilder.Build(FeatureMatrix.FromRows(rows), ["x", "y", "z"], previous: null, version: 1, new SegmentationOptions { K = 3 });

        Assert.Equal(3, model.Centroids.Count);
        Assert.All(model.Centroids, c => Assert.All(c, v => Assert.True(float.IsFinite(v))));
        Assert.All(model.Scaler.Means, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Training_with_fewer_distinct_users_than_k_still_publishes_a_segmentation()
    {
        var t = TrainingWorld.End.AddHours(-1).ToUnixTimeMilliseconds();
        var events = new List<Interaction>();
        for (var u = 0; u < 3; u++)
        {
            events.Add(new($"u{u}", "item-a", InteractionType.View, null, t, null));
            events.Add(new($"u{u}", "item-b", InteractionType.View, null, t, null));
        }

        var input = new TrainingInput(events, [], [], PreviousSegmentation: null, Version: 1, TrainingWorld.End);

        var bundle = TrainingPipeline.Run(input, new TrainingOptions());

        Assert.Single(bundle.Segmentation.Centroids);
        Assert.Equal(3, bundle.UserIds.Count);
    }

    [Fact]
    public void Profiles_replayed_from_the_poisoned_rows_alone_stay_finite()
    {
        var p = new UserProfile();
        p.Apply(new Interaction("whale", "x", InteractionType.Purchase, 1e308, 0, null), null, ProfileOptions.Default);
        p.Apply(new Interaction("whale", "x", InteractionType.Purchase, 1e308, 1, null), null, ProfileOptions.Default);

        Assert.All(ProfileFeatures.Extract(p, 10), f => Assert.True(float.IsFinite(f)));
    }
}
