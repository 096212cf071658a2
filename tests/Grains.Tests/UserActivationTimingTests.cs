using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Cohortly.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Cohortly.Grains.Tests;

/// <summary>
/// <c>cohortly.user.activation</c>: a user grain's activation in parts (ActivationClock). Every activation reports its
/// directory registration and state read; an activation whose first call is a recommendation also reports
/// how long that call queued and ran, and the total, once; one woken by an event does not.
/// </summary>
public sealed class UserActivationTimingTests : IAsyncLifetime
{
    private static readonly string[] ActivationParts = ["directory", "state_read"];
    private static readonly string[] FirstRecommendationParts = ["queued", "serve", "total"];

    private readonly ConcurrentQueue<(string Part, double Ms)> _measured = new();
    private InProcessTestCluster _cluster = null!;
    private MeterListener _listener = null!;

    public async Task InitializeAsync()
    {
        _cluster = await FastLoopCluster.Start(FastLoopCluster.Configuration());
        var meters = _cluster.Silos[0].ServiceProvider.GetRequiredService<IMeterFactory>();
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, meters) && instrument.Name == "cohortly.user.activation")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "part" && tag.Value is string part)
                {
                    _measured.Enqueue((part, value));
                }
            }
        });
        _listener.Start();
    }

    public async Task DisposeAsync()
    {
        _listener.Dispose();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task A_first_recommendation_reports_every_part_once_and_an_activation_woken_by_an_event_only_the_activation()
    {
        var reader = _cluster.Client.GetGrain<IUserGrain>("timed-reader");
        await reader.Recommend(new RecommendationRequest(5));
        await reader.Recommend(new RecommendationRequest(5)); // warm: nothing more

        var first = Drain();
        foreach (var part in ActivationParts.Concat(FirstRecommendationParts))
        {
            Assert.Single(first, m => m.Part == part);
        }

        Assert.Equal(ActivationParts.Length + FirstRecommendationParts.Length, first.Count);
        Assert.All(first, m => Assert.True(m.Ms >= 0, $"{m.Part} {m.Ms} ms"));
        var total = first.Single(m => m.Part == "total").Ms;
        Assert.True(first.Where(m => m.Part != "total").Sum(m => m.Ms) <= total + 0.001, "the parts add up to no more than the total");

        var now = DateTimeOffset.UtcNow;
        await FastLoopCluster.Publish(_cluster.Client, [new InteractionEvent("timed-1", "timed-viewer", "item-1", InteractionType.View, null, now, "web", now)]);
        var viewer = _cluster.Client.GetGrain<IUserGrain>("timed-viewer");
        await Eventually.True(async () => (await viewer.GetProfile())?.Counts["view"] == 1, "the view is applied");
        await viewer.Recommend(new RecommendationRequest(5)); // not the activation's first call

        var second = Drain();
        Assert.Equal(ActivationParts.Order(), second.Select(m => m.Part).Order());
    }

    private List<(string Part, double Ms)> Drain()
    {
        var drained = new List<(string Part, double Ms)>();
        while (_measured.TryDequeue(out var m))
        {
            drained.Add(m);
        }

        return drained;
    }
}
