using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Hosting.Embedded;
using Cohortly.Grains.Services;
using Cohortly.Grains.Training;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Tests;

/// <summary>The embedded backend's event sink: backlog, training log, stream, in that order.</summary>
public sealed class EventSinkTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static InteractionEvent Event(string user, int n) =>
        new($"sink-{user}-{n}", user, $"item-{n}", InteractionType.View, null, DateTimeOffset.UtcNow.AddMinutes(-n), "web", DateTimeOffset.UtcNow);

    [Fact]
    public async Task Embedded_backend_registers_its_sink_which_logs_the_events_and_user_grains_apply_them()
    {
        var sink = fixture.SiloService<IEventSink>();
        Assert.IsType<EmbeddedEventSink>(sink);

        var result = await sink.AppendAsync(
            [new UserEventBatch("sink-a", [Event("sink-a", 1), Event("sink-a", 2)]), new UserEventBatch("sink-b", [Event("sink-b", 1)])],
            CancellationToken.None);

        Assert.False(result.IsBusy);
        Assert.Equal([null, null], result.Failures);
        // In the log before the answer: training sees every event the gateway acknowledged.
        var logged = await fixture.SiloService<IInteractionLog>().ReadAsync(DateTimeOffset.MinValue, CancellationToken.None);
        Assert.Equal(2, logged.Events.Count(e => e.UserId == "sink-a"));
        Assert.Single(logged.Events, e => e.UserId == "sink-b");
        await Eventually.True(
            async () => (await fixture.Client.GetGrain<IUserGrain>("sink-a").GetProfile())?.Counts.Values.Sum() == 2,
            "user sink-a applied both events");
    }

    [Fact]
    public async Task A_log_that_refuses_the_batch_fails_every_user_and_publishes_nothing()
    {
        var backlog = new IngestionBacklog(TimeProvider.System);
        var sink = new EmbeddedEventSink(new RefusingLog(), fixture.SiloService<InteractionStreamPublisher>(), Options.Create(new CohortlyOptions()), NullLogger<EmbeddedEventSink>.Instance, backlog);

        var result = await sink.AppendAsync([new UserEventBatch("sink-c", [Event("sink-c", 1)]), new UserEventBatch("sink-d", [Event("sink-d", 1)])], CancellationToken.None);

        Assert.False(result.IsBusy);
        Assert.Equal(2, result.Failures.Count);
        Assert.All(result.Failures, f => Assert.Contains("training log", f, StringComparison.Ordinal));
        Assert.Equal(0, backlog.Pending);
    }

    [Fact]
    public async Task A_full_backlog_makes_the_sink_busy_without_touching_the_log()
    {
        var backlog = new IngestionBacklog(TimeProvider.System);
        backlog.Published(50);
        var log = new RefusingLog();
        var options = Options.Create(new CohortlyOptions { MaxIngestBacklog = 10, IngestWait = TimeSpan.Zero });
        var sink = new EmbeddedEventSink(log, fixture.SiloService<InteractionStreamPublisher>(), options, NullLogger<EmbeddedEventSink>.Instance, backlog);

        var result = await sink.AppendAsync([new UserEventBatch("sink-e", [Event("sink-e", 1)])], CancellationToken.None);

        Assert.True(result.IsBusy);
        Assert.Equal(TimeSpan.FromSeconds(1), result.RetryAfter);
        Assert.Contains("50", result.BusyReason, StringComparison.Ordinal);
        Assert.Empty(result.Failures);
        Assert.Equal(0, log.Appends);
    }

    /// <summary>A training log whose disk is gone.</summary>
    private sealed class RefusingLog : IInteractionLog
    {
        public int Appends { get; private set; }

        public Task AppendAsync(IReadOnlyList<InteractionEvent> events, CancellationToken cancellationToken)
        {
            Appends++;
            throw new IOException("disk full");
        }

        public Task AppendAttributesAsync(string userId, IReadOnlyDictionary<string, string> attributes, CancellationToken cancellationToken) =>
            throw new IOException("disk full");

        public Task<InteractionLogSnapshot> ReadAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
            throw new IOException("disk full");
    }
}
