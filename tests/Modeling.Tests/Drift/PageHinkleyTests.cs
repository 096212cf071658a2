using System.Text.Json;
using Cohortly.Modeling.Drift;

namespace Cohortly.Modeling.Tests.Drift;

public sealed class PageHinkleyTests
{
    private const int ChangeAt = 2000;
    private const int Length = 4000;
    private static readonly PageHinkleyOptions RateOptions = new(Delta: 0.05, Lambda: 30, Alpha: 1);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Detects_abrupt_rate_increase_within_bounded_delay_and_not_before(int seed)
    {
        var stream = DriftStreams.Bernoulli(new Random(seed), Length, 0.2, ChangeAt, 0.6);

        var first = FirstAlarm(new PageHinkley(RateOptions), stream);

        Assert.True(first >= ChangeAt, $"false alarm at {first}");
        Assert.True(first < ChangeAt + 250, $"detected only at {first}");
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
        var detector = new PageHinkley(RateOptions);

        Assert.Equal(-1, FirstAlarm(detector, stream));
        Assert.Equal(0.3, detector.Estimation, 0.03);
    }

    [Fact]
    public void Detects_a_decrease_only_when_asked_to()
    {
        var stream = DriftStreams.Gaussian(new Random(8), Length, 1.0, 0.3, ChangeAt, 0.5);

        var both = FirstAlarm(new PageHinkley(RateOptions with { Direction = ChangeDirection.Both }), stream);
        var increaseOnly = FirstAlarm(new PageHinkley(RateOptions with { Direction = ChangeDirection.Increase }), stream);

        Assert.InRange(both, ChangeAt, ChangeAt + 200);
        Assert.Equal(-1, increaseOnly);
    }

    [Fact]
    public void Resets_after_an_alarm_and_learns_the_new_mean()
    {
        var stream = DriftStreams.Gaussian(new Random(10), Length, 0.0, 0.2, ChangeAt, 1.0);
        var detector = new PageHinkley(RateOptions);
        foreach (var v in stream)
        {
            detector.Add(v);
        }

        Assert.Equal(1, detector.Detections);
        Assert.Equal(1.0, detector.Mean, 0.03);
        Assert.True(detector.Width < Length - ChangeAt);
    }

    [Fact]
    public void State_round_trips_through_json_and_resumes_identically()
    {
        var stream = DriftStreams.Bernoulli(new Random(3), Length, 0.2, ChangeAt, 0.6);
        var a = new PageHinkley(RateOptions);
        var b = new PageHinkley(RateOptions);
        for (var i = 0; i < 1000; i++)
        {
            a.Add(stream[i]);
            b.Add(stream[i]);
        }

        var restored = new PageHinkley(JsonSerializer.Deserialize<PageHinkleyState>(JsonSerializer.Serialize(b.ToState()))!);
        var alarmsA = 0;
        var alarmsRestored = 0;
        for (var i = 1000; i < stream.Length; i++)
        {
            alarmsA += a.Add(stream[i]) ? 1 : 0;
            alarmsRestored += restored.Add(stream[i]) ? 1 : 0;
        }

        Assert.Equal(1, alarmsA);
        Assert.Equal(alarmsA, alarmsRestored);
        Assert.Equal(a.ToState(), restored.ToState());
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
