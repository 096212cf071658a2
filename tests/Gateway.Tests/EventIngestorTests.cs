using System.Diagnostics.Metrics;
using System.Text.Json;
using Cohortly.Contracts;
using Cohortly.Gateway.Ingestion;
using Cohortly.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Cohortly.Gateway.Tests;

/// <summary>The ingestor validates, groups by user and hands the batch to the backend's sink; what the sink says is what the client hears.</summary>
public sealed class EventIngestorTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>Events as a client posts them (parsed from JSON, so the test follows the wire shape, not the record's constructor).</summary>
    private static List<EventDto?> Batch(params (string EventId, string UserId)[] events)
    {
        var json = JsonSerializer.Serialize(events.Select(e => new { eventId = e.EventId, userId = e.UserId, itemId = "i1", type = "view", timestamp = DateTimeOffset.UtcNow.AddMinutes(-1) }));
        return JsonSerializer.Deserialize<List<EventDto?>>(json, Web)!;
    }

    private static EventIngestor Ingestor(IEventSink sink)
    {
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        return new EventIngestor(sink, TimeProvider.System, new CohortlyMetrics(meters), Cohortly.Modeling.Events.ContextSchema.Default, new GatewayIngestionCounters(TimeProvider.System));
    }

    [Fact]
    public async Task Valid_events_reach_the_sink_grouped_by_user_in_their_order()
    {
        var sink = new RecordingSink(_ => null);
        var result = await Ingestor(sink).IngestAsync(Batch(("e1", "u1"), ("e2", "u2"), ("e3", "u1"), ("bad", "")), CancellationToken.None);

        Assert.Equal(3, result.Accepted);
        Assert.Equal(1, result.Rejected);
        Assert.Equal("events[3].userId", Assert.Single(result.Errors).Field);
        var batches = Assert.Single(sink.Calls);
        Assert.Equal(["u1", "u2"], batches.Select(b => b.UserId));
        Assert.Equal(["e1", "e3"], batches[0].Events.Select(e => e.EventId));
        Assert.Equal(["e2"], batches[1].Events.Select(e => e.EventId));
    }

    [Fact]
    public async Task Declared_context_keys_travel_normalized_an_unknown_closed_value_counts_as_other_a_bad_free_value_is_rejected_and_undeclared_keys_are_ignored()
    {
        var json = """
            [
              { "eventId": "c1", "userId": "u1", "itemId": "i1", "type": "view", "context": { "device": "mobile", "referrer": "Social", "country": "DE", "campaign": "x" } },
              { "eventId": "c2", "userId": "u1", "itemId": "i1", "type": "view", "context": { "country": "D E" } },
              { "eventId": "c3", "userId": "u1", "itemId": "i1", "type": "view", "context": { "pageType": "basement" } }
            ]
            """;
        var sink = new RecordingSink(_ => null);

        var result = await Ingestor(sink).IngestAsync(JsonSerializer.Deserialize<List<EventDto?>>(json, Web)!, CancellationToken.None);

        Assert.Equal(2, result.Accepted);
        Assert.Equal("events[1].context.country", Assert.Single(result.Errors).Field);
        var accepted = Assert.Single(sink.Calls)[0].Events;
        Assert.Equal("mobile", accepted[0].Device);
        Assert.Equal(new Dictionary<string, string> { ["referrer"] = "social", ["country"] = "de" }, accepted[0].Context);
        Assert.Equal(new Dictionary<string, string> { ["pageType"] = "other" }, accepted[1].Context);
    }

    [Fact]
    public async Task Events_of_a_user_the_sink_did_not_take_are_reported_each_with_the_sinks_reason()
    {
        var sink = new RecordingSink(b => b.UserId == "u2" ? "the event stream did not confirm the event in time" : null);
        var result = await Ingestor(sink).IngestAsync(Batch(("e1", "u1"), ("e2", "u2"), ("e3", "u2")), CancellationToken.None);

        Assert.Equal(1, result.Accepted);
        Assert.Equal(2, result.Unavailable);
        Assert.Equal([1, 2], result.Errors.Select(e => e.Index));
        Assert.All(result.Errors, e => Assert.Equal("the event stream did not confirm the event in time", e.Message));
        Assert.Equal(["e2", "e3"], result.Errors.Select(e => e.EventId));
    }

    [Fact]
    public async Task A_busy_sink_is_reported_as_busy_with_its_retry_delay()
    {
        var sink = new BusySink(TimeSpan.FromSeconds(3));
        var busy = await Assert.ThrowsAsync<IngestionBusyException>(() => Ingestor(sink).IngestAsync(Batch(("e1", "u1")), CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(3), busy.RetryAfter);
        Assert.Contains("behind", busy.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_without_a_valid_event_never_reaches_the_sink()
    {
        var sink = new RecordingSink(_ => null);
        var result = await Ingestor(sink).IngestAsync(Batch(("e1", ""), ("e2", "")), CancellationToken.None);

        Assert.Equal(0, result.Accepted);
        Assert.Equal(0, result.Unavailable);
        Assert.Empty(sink.Calls);
    }

    private sealed class RecordingSink(Func<UserEventBatch, string?> failure) : IEventSink
    {
        public List<IReadOnlyList<UserEventBatch>> Calls { get; } = [];

        public Task<EventSinkResult> AppendAsync(IReadOnlyList<UserEventBatch> batches, CancellationToken cancellationToken)
        {
            Calls.Add(batches);
            return Task.FromResult(EventSinkResult.Completed([.. batches.Select(failure)]));
        }
    }

    private sealed class BusySink(TimeSpan retryAfter) : IEventSink
    {
        public Task<EventSinkResult> AppendAsync(IReadOnlyList<UserEventBatch> batches, CancellationToken cancellationToken) =>
            Task.FromResult(EventSinkResult.Busy(retryAfter, "12 accepted events are still being applied; the silo is behind"));
    }
}
