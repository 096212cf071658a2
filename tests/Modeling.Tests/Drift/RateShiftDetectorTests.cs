using Cohortly.Modeling.Drift;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Tests.Drift;

public sealed class RateShiftDetectorTests
{
    [Fact]
    public void A_clear_drop_cuts_the_window_to_the_new_level_and_reports_both_rates()
    {
        var detector = new RateShiftDetector(new RateShiftOptions(MinTrialsPerSide: 500, Direction: ChangeDirection.Decrease));
        for (var i = 0; i < 30; i++)
        {
            Assert.Null(detector.Add(1000, 100));
        }

        RateShift? shift = null;
        var minutes = 0;
        while (shift is null && minutes < 30)
        {
            shift = detector.Add(1000, 50);
            minutes++;
        }

        Assert.NotNull(shift);
        Assert.True(minutes <= 5, $"found after {minutes} minutes");
        Assert.Equal(0.10, shift.RateBefore, 3);
        // The cut may fall a little before the change (each side needs 5 minutes), so a few old minutes stay.
        Assert.InRange(shift.RateAfter, 0.05, 0.075);
        Assert.True(shift.Difference < -shift.Threshold);
        // The window is cut at the change itself, not at the detecting cut: only new minutes stay.
        Assert.Equal(minutes, detector.Buckets);
        Assert.Equal(0.05, detector.Rate, 6);
        for (var i = 0; i < 60; i++)
        {
            detector.Add(1000, 50);
        }

        Assert.Equal(0.05, detector.Rate, 6);
        Assert.Equal(1, detector.Detections);
    }

    [Fact]
    public void A_shift_against_the_direction_is_not_reported_but_still_cuts_the_window()
    {
        var detector = new RateShiftDetector(new RateShiftOptions(MinTrialsPerSide: 500, Direction: ChangeDirection.Decrease));
        for (var i = 0; i < 30; i++)
        {
            detector.Add(1000, 50);
        }

        for (var i = 0; i < 30; i++)
        {
            Assert.Null(detector.Add(1000, 100));
        }

        Assert.True(detector.Buckets < 60, "the rise cut the older part away");
        Assert.Equal(0, detector.Detections);
    }

    [Fact]
    public void Empty_buckets_carry_no_evidence_and_impossible_counts_are_refused()
    {
        var detector = new RateShiftDetector();
        Assert.Null(detector.Add(0, 0));
        Assert.Equal(0, detector.Buckets);
        Assert.Throws<ArgumentOutOfRangeException>(() => detector.Add(10, 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => detector.Add(-1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RateShiftDetector(new RateShiftOptions(Delta: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RateShiftDetector(new RateShiftOptions(MinBucketsPerSide: 10, MaxBuckets: 15)));
    }

    [Fact]
    public void The_window_keeps_at_most_its_bucket_count()
    {
        var detector = new RateShiftDetector(new RateShiftOptions(MaxBuckets: 20, MinBucketsPerSide: 5));
        for (var i = 0; i < 50; i++)
        {
            detector.Add(100, 5);
        }

        Assert.Equal(20, detector.Buckets);
        Assert.Equal(2000, detector.Trials);
    }

    [Fact]
    public void Feature_psi_is_near_zero_for_the_reference_itself_and_large_for_a_shifted_feature()
    {
        var random = new Random(3);
        var rows = new float[1000][];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = DriftWorlds.User(random, DriftWorlds.Type(random));
        }

        var reference = FeatureReference.From(FeatureMatrix.FromRows(rows), DriftWorlds.FeatureNames);
        Assert.Equal(DriftWorlds.FeatureNames.Length, reference.Count);
        Assert.All(FeatureReference.Compare(reference, rows), f => Assert.True(f.Index < 1e-6, $"{f.Name}: {f.Index}"));

        var shifted = rows.Select(r => new[] { r[0] * 3, r[1], r[2], r[3], r[4] }).ToArray();
        var psi = FeatureReference.Compare(reference, shifted);
        Assert.True(psi[0].Index > 1, $"monetary ×3: {psi[0].Index}");
        Assert.All(psi.Skip(1), f => Assert.True(f.Index < 1e-6));
        Assert.Empty(FeatureReference.Compare(reference, [new float[2]]));
    }

    [Fact]
    public void Every_segmentation_version_carries_the_feature_reference_of_the_users_it_was_built_on()
    {
        var random = new Random(5);
        var rows = new float[300][];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = DriftWorlds.User(random, DriftWorlds.Type(random));
        }

        var raw = FeatureMatrix.FromRows(rows);
        var version = SegmentationVersions.Build(raw, DriftWorlds.FeatureNames, null, 1, new SegmentationOptions { K = 3 }, SegmentationRunKind.SegmentationOnly);
        Assert.Equal(DriftWorlds.FeatureNames, version.FeatureReference.Select(f => f.Name));
        Assert.All(version.FeatureReference, f => Assert.Equal(300, f.Counts.Sum()));

        var restored = SegmentationVersions.Restore(version.Model, version.Model, version.NextCohortId, 2, 1, FeatureMatrix.FromRows(rows[..100]));
        Assert.All(restored.FeatureReference, f => Assert.Equal(100, f.Counts.Sum()));
    }
}
