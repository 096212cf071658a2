using System.Text.Json;
using Cohortly.Modeling.Drift;

namespace Cohortly.Modeling.Tests.Drift;

public sealed class AdwinTests
{
    private const int ChangeAt = 2000;
    private const int Length = 4000;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Detects_abrupt_rate_increase_within_bounded_delay_and_not_before(int seed)
    {
        var stream = DriftStreams.Bernoulli(new Random(seed), Length, 0.2, ChangeAt, 0.6);
        var adwin = new Adwin();

        var first = FirstAlarm(adwin, stream);

        Assert.True(first >= ChangeAt, $"false alarm at {first}");
        Assert.True(first < ChangeAt + 250, $"detected only at {first}");
    }

    [Fact]
    public void Window_shrinks_to_the_new_regime_and_estimation_follows_it()
    {
        var stream = DriftStreams.Gaussian(new Random(9), Length, 0.3, 0.1, ChangeAt, 0.7);
        var adwin = new Adwin();
        var first = -1;
        for (var i = 0; i < stream.Length; i++)
        {
            if (adwin.Add(stream[i]) && first < 0)
            {
                first = i;
            }
        }

        // A large shift can be cut in a few steps as evidence against the older buckets accumulates.
        Assert.InRange(first, ChangeAt, ChangeAt + 100);
        Assert.InRange(adwin.Detections, 1, 4);
        // Only a sliver of the old regime may survive: too little to be told apart from the new one.
        Assert.True(adwin.Width <= Length - ChangeAt + 64, $"width {adwin.Width} still holds old data");
        Assert.True(adwin.Width > 1000);
        Assert.Equal(0.7, adwin.Estimation, 0.02);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    [InlineData(15)]
    public void Raises_no_alarm_on_a_stationary_stream(int seed)
    {
        var stream = DriftStreams.Bernoulli(new Random(seed), Length, 0.3);
        var adwin = new Adwin();

        Assert.Equal(-1, FirstAlarm(adwin, stream));
        Assert.Equal(Length, adwin.Width);
        Assert.Equal(0.3, adwin.Mean, 0.03);
    }

    [Fact]
    public void Keeps_logarithmic_memory_and_exact_window_statistics()
    {
        var stream = DriftStreams.Gaussian(new Random(4), 10_000, 1.0, 0.5);
        var adwin = new Adwin(new AdwinOptions(MaxBucketsPerRow: 5));
        foreach (var v in stream)
        {
            adwin.Add(v);
        }

        var mean = 0.0;
        foreach (var v in stream)
        {
            mean += v;
        }

        mean /= stream.Length;
        var variance = 0.0;
        foreach (var v in stream)
        {
            variance += (v - mean) * (v - mean);
        }

        variance /= stream.Length;

        // At most 5 buckets per size class and log2(10000) ≈ 14 classes.
        Assert.InRange(adwin.BucketCount, 14, 5 * 14);
        Assert.Equal(mean, adwin.Mean, 1e-9);
        Assert.Equal(variance, adwin.Variance, 1e-9);
    }

    [Fact]
    public void State_round_trips_through_json_and_resumes_identically()
    {
        var stream = DriftStreams.Bernoulli(new Random(21), Length, 0.2, ChangeAt, 0.6);
        var uninterrupted = new Adwin();
        var alarmsA = new List<int>();
        for (var i = 0; i < stream.Length; i++)
        {
            if (uninterrupted.Add(stream[i]))
            {
                alarmsA.Add(i);
            }
        }

        var first = new Adwin();
        var alarmsB = new List<int>();
        for (var i = 0; i < 1500; i++)
        {
            if (first.Add(stream[i]))
            {
                alarmsB.Add(i);
            }
        }

        var json = JsonSerializer.Serialize(first.ToState());
        var resumed = new Adwin(JsonSerializer.Deserialize<AdwinState>(json)!);
        for (var i = 1500; i < stream.Length; i++)
        {
            if (resumed.Add(stream[i]))
            {
                alarmsB.Add(i);
            }
        }

        Assert.NotEmpty(alarmsA);
        Assert.Equal(alarmsA, alarmsB);
        Assert.Equal(uninterrupted.Width, resumed.Width);
        Assert.Equal(uninterrupted.Mean, resumed.Mean, 1e-12);
    }

    private static int FirstAlarm(IDriftDetector detector, double[] stream)
    {
        for (var i = 0; i < stream.Length; i++)
        {
            if (detector.Add(stream[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
