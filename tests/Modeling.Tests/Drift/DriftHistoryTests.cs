using Cohortly.Modeling.Drift;

namespace Cohortly.Modeling.Tests.Drift;

public sealed class DriftHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 5, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Each_series_keeps_its_points_within_the_retention_and_the_capacity_oldest_first()
    {
        var history = new DriftHistory(TimeSpan.FromHours(1), capacity: 50);
        for (var m = 0; m < 120; m++)
        {
            history.Record(T0.AddMinutes(m), new DriftStatistic(DriftDetectorKind.FeaturePsi, null, "monetary", m / 1000.0, 0.25));
            history.Record(T0.AddMinutes(m), new DriftStatistic(DriftDetectorKind.RewardRate, 3, null, -m / 1000.0, -0.01));
        }

        var now = T0.AddMinutes(119);
        var all = history.Query(now);
        Assert.Equal(2, all.Count);
        // Ordered by detector: reward rate (0) before feature PSI (1).
        Assert.Equal(DriftDetectorKind.RewardRate, all[0].Detector);
        Assert.Equal(3, all[0].CohortId);
        var psi = all[1];
        Assert.Equal("monetary", psi.Feature);
        Assert.Equal(50, psi.Points.Count); // the capacity bounds it before the hour does
        Assert.Equal(T0.AddMinutes(70), psi.Points[0].At);
        Assert.Equal(0.119, psi.Points[^1].Value, 12);
        Assert.All(psi.Points, p => Assert.Equal(0.25, p.Threshold));

        var since = history.Query(now, DriftDetectorKind.FeaturePsi, since: T0.AddMinutes(110));
        Assert.Equal(10, Assert.Single(since).Points.Count);
        Assert.Empty(history.Query(now, DriftDetectorKind.CohortShare));
        Assert.Equal(3, Assert.Single(history.Query(now, cohortId: 3)).CohortId);
        Assert.Empty(history.Query(now, feature: "recency_days"));

        // Two hours later everything is past the retention.
        Assert.Empty(history.Query(now.AddHours(2)));
    }

    [Fact]
    public void Series_beyond_the_limit_replace_the_stalest_and_non_finite_points_are_skipped()
    {
        var history = new DriftHistory(TimeSpan.FromDays(1), capacity: 10, maxSeries: 2);
        history.Record(T0, new DriftStatistic(DriftDetectorKind.FeaturePsi, null, "a", 0.1, 0.25));
        history.Record(T0.AddMinutes(1), new DriftStatistic(DriftDetectorKind.FeaturePsi, null, "b", 0.1, 0.25));
        history.Record(T0.AddMinutes(2), new DriftStatistic(DriftDetectorKind.FeaturePsi, null, "c", 0.1, 0.25));
        history.Record(T0.AddMinutes(3), new DriftStatistic(DriftDetectorKind.FeaturePsi, null, "c", double.NaN, 0.25));

        var series = history.Query(T0.AddMinutes(3));
        Assert.Equal(["b", "c"], series.Select(s => s.Feature));
        Assert.Single(series[1].Points);
    }

    [Fact]
    public void A_rate_window_reports_its_strongest_cut_each_minute_detection_or_not()
    {
        var detector = new RateShiftDetector(new RateShiftOptions(MinTrialsPerSide: 100, MinBucketsPerSide: 2));
        Assert.Null(detector.Add(100, 5));
        Assert.Null(detector.Strongest); // one bucket: no cut to measure
        detector.Add(100, 5);
        detector.Add(100, 5);
        Assert.Null(detector.Add(100, 5));
        var quiet = detector.Strongest;
        Assert.NotNull(quiet);
        Assert.True(Math.Abs(quiet.Difference) < quiet.Threshold);

        var statistic = DriftStatistic.Of(DriftDetectorKind.RewardRate, 4, quiet);
        Assert.Equal(quiet.Difference, statistic!.Value);
        Assert.Equal(quiet.Difference < 0 ? -quiet.Threshold : quiet.Threshold, statistic.Threshold);

        var shift = detector.Add(100, 60);
        Assert.NotNull(shift);
        Assert.Equal(shift, detector.Strongest);
        Assert.True(detector.Strongest!.Difference > detector.Strongest.Threshold);
        Assert.Null(detector.Add(0, 0));
        Assert.Null(detector.Strongest); // an empty minute measures nothing
    }
}
