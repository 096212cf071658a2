using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Tests.Segmentation;

public sealed class SegmentationVersionsTests
{
    private static readonly string[] Names = ["monetary", "frequency"];

    private static List<float[]> Blobs(int perBlob, float[][] centres, int seed)
    {
        var rng = new Random(seed);
        var rows = new List<float[]>();
        foreach (var c in centres)
        {
            for (var i = 0; i < perBlob; i++)
            {
                rows.Add(c.Select(x => x + (float)((rng.NextDouble() - 0.5) * 0.2)).ToArray());
            }
        }

        return rows;
    }

    private static SegmentationVersion Build(List<float[]> rows, SegmentationBasis? basis, long version, SegmentationRunKind kind = SegmentationRunKind.SegmentationOnly, double maxDistance = SegmentationOptions.DefaultMaxMatchDistance) =>
        SegmentationVersions.Build(FeatureMatrix.FromRows(rows), Names, basis, version, new SegmentationOptions { K = 3, Seed = 1, MaxMatchDistance = maxDistance }, kind);

    /// <summary>A hand-made version in raw units (identity scaler), for anchors and previous versions.</summary>
    private static SegmentationModel Model(long version, int[] ids, float[][] centroids) =>
        new(version, Names, new FeatureScaler([0, 0], [1, 1]), centroids, ids, [.. ids.Select(id => $"cohort {id}")]);

    [Fact]
    public void First_version_has_fresh_ids_counts_over_the_sample_and_no_transitions()
    {
        var first = Build(Blobs(40, [[0, 0], [5, 5], [0, 5]], 1), null, 1, SegmentationRunKind.Training);

        Assert.Equal([1, 2, 3], first.Model.CohortIds.Order());
        Assert.Equal(120, first.SampleSize);
        Assert.Equal([40, 40, 40], first.SampleCounts);
        Assert.Empty(first.Transitions);
        Assert.All(first.MatchDistances, d => Assert.Null(d));
        Assert.Equal(4, first.NextCohortId);
        Assert.Equal(0, first.PreviousVersion);
        Assert.Equal(1, first.ModelVersion);
    }

    [Fact]
    public void Next_version_counts_every_sampled_user_under_both_versions_and_records_who_moved()
    {
        float[][] centres = [[0, 0], [5, 5], [0, 5]];
        var first = Build(Blobs(40, centres, 1), null, 1);
        var rows = Blobs(40, centres, 2);
        // Five users of the [0, 0] blob now behave like the [5, 5] blob: under the previous version they were in the
        // first cohort, under the new one they are in the second.
        var movers = new List<float[]>();
        for (var i = 0; i < 5; i++)
        {
            movers.Add([5.01f + (i * 0.01f), 4.99f]);
        }

        var second = Build([.. rows, .. movers], new SegmentationBasis(first.Model, first.NextCohortId), 2);

        Assert.Equal(1, second.PreviousVersion);
        Assert.Equal(SegmentationRunKind.SegmentationOnly, second.Kind);
        Assert.Equal(0, second.ModelVersion);
        Assert.Equal(125, second.Transitions.Sum(t => t.Users));
        Assert.Equal(125, second.Transitions.Where(t => t.From == t.To).Sum(t => t.Users));
        Assert.Equal(first.Model.CohortIds.Order(), second.Model.CohortIds.Order());
        Assert.All(second.MatchDistances, d => Assert.InRange(d!.Value, 0, 0.5));
        var high = second.Model.Assign([5, 5]);
        Assert.Equal(45, second.SampleCounts[second.Model.CohortIds.ToList().IndexOf(high)]);

        // Against a previous version with one cohort for both [0, *] blobs, the blob that gets the fresh id moved.
        var older = Model(1, [1, 2], [[0, 2.5f], [5, 5]]);
        var third = Build([.. rows, .. movers], new SegmentationBasis(older), 2, maxDistance: 100);
        Assert.Contains(new CohortMove(1, 3, 40), third.Transitions);
        Assert.Equal(40, third.Transitions.Where(t => t.From != t.To).Sum(t => t.Users));
        Assert.Equal(125, third.Transitions.Sum(t => t.Users));
    }

    [Fact]
    public void A_centroid_that_moved_beyond_the_limit_gets_a_fresh_id_and_its_old_id_is_never_reissued()
    {
        var first = Build(Blobs(40, [[0, 0], [5, 5], [0, 5]], 1), null, 1);
        var lost = first.Model.Assign([0, 5]);

        var second = Build(Blobs(40, [[0, 0], [5, 5], [5, 0]], 2), new SegmentationBasis(first.Model, first.NextCohortId), 2);

        var moved = second.Model.Assign([5, 0]);
        Assert.Equal(4, moved);
        Assert.DoesNotContain(lost, second.Model.CohortIds);
        Assert.Null(second.MatchDistances[second.Model.CohortIds.ToList().IndexOf(moved)]);
        Assert.Equal(first.Model.Assign([0, 0]), second.Model.Assign([0, 0]));
        Assert.Equal(first.Model.Assign([5, 5]), second.Model.Assign([5, 5]));
        Assert.Equal(5, second.NextCohortId);

        // The cluster comes back: it is matched against the version before (cohort 4 vanished), and whatever is fresh
        // now starts above every id issued so far, never at the vanished 3.
        var third = Build(Blobs(40, [[0, 0], [5, 5], [0, 5]], 3), new SegmentationBasis(second.Model, second.NextCohortId), 3);
        Assert.DoesNotContain(lost, third.Model.CohortIds);
        Assert.Equal(5, third.Model.Assign([0, 5]));
    }

    [Fact]
    public void A_kept_id_is_matched_against_the_active_models_centroid_so_small_steps_cannot_walk_it_away()
    {
        var rows = Blobs(40, [[0, 0], [10, 10], [0, 4]], 1);
        var anchor = Model(1, [1, 2, 3], [[0, 0], [10, 10], [0, 10]]);
        var previous = Model(2, [1, 2, 3], [[0, 0], [10, 10], [0, 7]]);

        // Measured against the previous version alone, the [0, 4] cohort is one small step from [0, 7]: id 3 is kept.
        var stepwise = Build(rows, new SegmentationBasis(previous, 4), 3, maxDistance: 1.0);
        Assert.Equal(3, stepwise.Model.Assign([0, 4]));

        // Against the segmentation the active model was trained on ([0, 10]) it has moved too far: a fresh id.
        var anchored = Build(rows, new SegmentationBasis(previous, 4) { Anchor = anchor }, 3, maxDistance: 1.0);
        Assert.Equal(4, anchored.Model.Assign([0, 4]));
        Assert.Equal(1, anchored.Model.Assign([0, 0]));
        Assert.Equal(2, anchored.Model.Assign([10, 10]));
        // Transitions are still counted against the previous version: the [0, 4] users were in 3 and are in 4 now.
        Assert.Contains(new CohortMove(3, 4, 40), anchored.Transitions);
    }

    [Fact]
    public void A_version_must_be_newer_than_the_previous_one()
    {
        var first = Build(Blobs(20, [[0, 0], [5, 5], [0, 5]], 1), null, 4);

        Assert.Throws<ArgumentOutOfRangeException>(() => Build(Blobs(20, [[0, 0], [5, 5], [0, 5]], 2), new SegmentationBasis(first.Model), 4));
    }

    [Fact]
    public void A_previous_version_over_other_features_is_not_matched_and_yields_no_transitions()
    {
        var other = new SegmentationModel(1, ["a", "b", "c"], new FeatureScaler([0, 0, 0], [1, 1, 1]), [new float[3], [1, 1, 1]], [7, 8], ["x", "y"]);

        var next = Build(Blobs(20, [[0, 0], [5, 5], [0, 5]], 1), new SegmentationBasis(other, 9), 2);

        Assert.Empty(next.Transitions);
        Assert.Equal([9, 10, 11], next.Model.CohortIds.Order());
    }

    [Fact]
    public void A_restored_version_republishes_the_models_segmentation_under_a_new_number_with_moves_from_the_current()
    {
        var trained = Model(3, [1, 2], [[0, 0], [5, 5]]);
        var current = Model(4, [1, 7], [[0, 0], [0, 5]]);
        var sample = FeatureMatrix.FromRows([[0.1f, 0.1f], [4.9f, 5f], [1.5f, 4.8f]]);

        var restored = SegmentationVersions.Restore(trained, current, nextCohortId: 8, version: 5, modelVersion: 3, sample);

        Assert.Equal(5, restored.Model.Version);
        Assert.Equal(trained.CohortIds, restored.Model.CohortIds);
        Assert.Equal(trained.Centroids, restored.Model.Centroids);
        Assert.Equal(trained.Labels, restored.Model.Labels);
        Assert.Equal(SegmentationRunKind.Restored, restored.Kind);
        Assert.Equal(3, restored.ModelVersion);
        Assert.Equal(4, restored.PreviousVersion);
        Assert.Equal(8, restored.NextCohortId);
        Assert.Equal([1, 2], restored.SampleCounts);
        // The [1.5, 4.8] and [4.9, 5] users were in cohort 7 (current) and are in cohort 2 now (nearest restored centroid [5, 5]).
        Assert.Contains(new CohortMove(7, 2, 2), restored.Transitions);
        Assert.Contains(new CohortMove(1, 1, 1), restored.Transitions);
        Assert.Throws<ArgumentOutOfRangeException>(() => SegmentationVersions.Restore(trained, current, 8, version: 4, modelVersion: 3, sample));
    }

    [Fact]
    public void A_restored_version_without_a_sample_has_no_counts_or_moves()
    {
        var trained = Model(3, [1, 2], [[0, 0], [5, 5]]);

        var restored = SegmentationVersions.Restore(trained, null, 0, version: 6, modelVersion: 3, new FeatureMatrix(0, 2));

        Assert.Equal(0, restored.SampleSize);
        Assert.Empty(restored.Transitions);
        Assert.Equal(3, restored.NextCohortId);
    }
}
