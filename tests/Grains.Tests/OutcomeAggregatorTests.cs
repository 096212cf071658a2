using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Services;
using Cohortly.Modeling.Outcomes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cohortly.Grains.Tests;

public sealed class OutcomeAggregatorTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public void Dispose() => _services.Dispose();

    private OutcomeAggregator NewAggregator() =>
        new(new CohortlyMetrics(_services.GetRequiredService<IMeterFactory>()), NullLogger<OutcomeAggregator>.Instance);

    private static OutcomeKey Key(int cohort, ServedStrategy strategy = ServedStrategy.CohortModel) => new(cohort, 4, "exp", "a", strategy);

    private static readonly OutcomeCounts OneServed = new(1, 5, 0, 0, 0, 0, 0, 0, 0);
    private static readonly OutcomeCounts OnePurchase = new(0, 0, 1, 0, 1, 12.5, 1, 1, 156.25);

    /// <summary>A grain stand-in that applies each sender's sequence once, like <c>OutcomeGrain</c>.</summary>
    private sealed class Receiver
    {
        private readonly ConcurrentDictionary<int, long> _lastSequence = new();

        public ConcurrentDictionary<int, OutcomeCounts> Totals { get; } = new();

        public ConcurrentBag<long> Sequences { get; } = [];

        public int Calls;

        public Func<int, bool> FailBeforeApply { get; set; } = _ => false;

        public Func<int, bool> FailAfterApply { get; set; } = _ => false;

        public Task Send(int cohort, OutcomeBatch batch, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref Calls);
            if (FailBeforeApply(call))
            {
                throw new TimeoutException("grain unreachable");
            }

            Sequences.Add(batch.Sequence);
            if (batch.Sequence > _lastSequence.GetValueOrDefault(cohort))
            {
                _lastSequence[cohort] = batch.Sequence;
                var sum = default(OutcomeCounts);
                foreach (var e in batch.Entries)
                {
                    sum = sum.Plus(e.Counts);
                }

                Totals.AddOrUpdate(cohort, sum, (_, old) => old.Plus(sum));
            }

            if (FailAfterApply(call))
            {
                throw new TimeoutException("the answer was lost");
            }

            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Many_threads_recording_while_flushing_deliver_exact_totals()
    {
        var aggregator = NewAggregator();
        var receiver = new Receiver();
        const int Threads = 8;
        const int PerThread = 20_000;
        using var stop = new CancellationTokenSource();
        var flusher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await aggregator.FlushAsync("silo-a", receiver.Send, CancellationToken.None);
            }
        });

        var writers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(
            () =>
            {
                for (var i = 0; i < PerThread; i++)
                {
                    var cohort = i % 3;
                    var at = T0.AddSeconds(i % 300); // five minutes: several minute buckets per key
                    aggregator.Record(Key(cohort, (ServedStrategy)(t % 2)), OneServed, at);
                    if (i % 10 == 0)
                    {
                        aggregator.Record(Key(cohort), OnePurchase, at);
                    }
                }
            },
            TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await flusher;
        await aggregator.FlushAsync("silo-a", receiver.Send, CancellationToken.None);

        var total = receiver.Totals.Values.Aggregate(default(OutcomeCounts), (a, c) => a.Plus(c));
        Assert.Equal(Threads * PerThread, total.Exposures);
        Assert.Equal(Threads * PerThread * 5L, total.Impressions);
        Assert.Equal(Threads * PerThread / 10, total.Purchases);
        Assert.Equal(Threads * PerThread / 10 * 12.5, total.Revenue, 6);
        Assert.True(aggregator.Unsent().IsEmpty);
    }

    [Fact]
    public void Recording_a_key_already_pending_allocates_nothing()
    {
        var aggregator = NewAggregator();
        var key = Key(8);
        aggregator.Record(key, OneServed, T0); // this thread's stripe has the entry; later records add in place

        var records = 1L;
        var allocated = Allocations.FewestBytes(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                aggregator.Record(key, OneServed, T0.AddSeconds(i % 60));
            }

            records += 10_000;
        });

        // Zero per record; one allocation per record would be at least 24 bytes × 10,000 in every round.
        Assert.True(allocated < 1024, $"{allocated} bytes allocated by 10,000 records");
        Assert.Equal(records, aggregator.Unsent().Exposures);
    }

    [Fact]
    public async Task A_failed_send_keeps_the_batch_and_resends_it_with_the_same_sequence()
    {
        var aggregator = NewAggregator();
        var receiver = new Receiver { FailBeforeApply = call => call == 1 };
        aggregator.Record(Key(1), OneServed, T0);
        aggregator.Record(Key(1), OneServed, T0.AddMinutes(1));

        await aggregator.FlushAsync("silo-a", receiver.Send, CancellationToken.None);
        Assert.False(receiver.Totals.ContainsKey(1));
        Assert.Equal(2, aggregator.Unsent().Exposures);

        // Recorded while the first batch is unacknowledged: it waits behind it.
        aggregator.Record(Key(1), OneServed, T0.AddMinutes(1));
        await aggregator.FlushAsync("silo-a", receiver.Send, CancellationToken.None);
        Assert.Equal(2, receiver.Totals[1].Exposures);
        Assert.Equal(1, aggregator.Unsent().Exposures);

        await aggregator.FlushAsync("silo-a", receiver.Send, CancellationToken.None);
        Assert.Equal(3, receiver.Totals[1].Exposures);
        Assert.Equal([1L, 2L], receiver.Sequences.Order());
        Assert.True(aggregator.Unsent().IsEmpty);
    }

    [Fact]
    public async Task A_send_that_failed_after_the_grain_applied_it_is_not_counted_twice()
    {
        var aggregator = NewAggregator();
        var receiver = new Receiver { FailAfterApply = call => call == 1 };
        aggregator.Record(Key(2), OnePurchase, T0);

        await aggregator.FlushAsync("silo-a", receiver.Send, CancellationToken.None);
        await aggregator.FlushAsync("silo-a", receiver.Send, CancellationToken.None);
        await aggregator.FlushAsync("silo-a", receiver.Send, CancellationToken.None);

        Assert.Equal(2, receiver.Calls); // the resend, then nothing left
        Assert.Equal(1, receiver.Totals[2].Purchases);
        Assert.Equal(12.5, receiver.Totals[2].Revenue);
    }

    [Fact]
    public async Task Cohorts_are_sent_separately_and_one_failing_cohort_does_not_hold_the_others()
    {
        var aggregator = NewAggregator();
        var failing = 0;
        Task Send(int cohort, OutcomeBatch batch, CancellationToken ct)
        {
            if (cohort == 7)
            {
                failing++;
                throw new TimeoutException("down");
            }

            Assert.All(batch.Entries, e => Assert.Equal(cohort, e.Key.CohortId));
            return Task.CompletedTask;
        }

        aggregator.Record(Key(7), OneServed, T0);
        aggregator.Record(Key(-1), OneServed, T0);
        await aggregator.FlushAsync("silo-a", Send, CancellationToken.None);

        Assert.Equal(1, failing);
        Assert.Equal(1, aggregator.Unsent().Exposures); // only cohort 7's
    }

    [Fact]
    public async Task A_full_outbox_drops_new_entries_and_counts_them()
    {
        var aggregator = NewAggregator();
        Task Down(int cohort, OutcomeBatch batch, CancellationToken ct) => throw new TimeoutException("down");
        aggregator.Record(Key(3), OneServed, T0);
        await aggregator.FlushAsync("silo-a", Down, CancellationToken.None); // batch 1 stuck in flight

        for (var i = 0; i < OutcomeAggregator.MaxWaitingPerCohort + 10; i++)
        {
            aggregator.Record(new OutcomeKey(3, i, string.Empty, string.Empty, ServedStrategy.Popularity), OneServed, T0);
        }

        await aggregator.FlushAsync("silo-a", Down, CancellationToken.None);

        Assert.Equal(10, aggregator.Dropped);
        Assert.Equal(OutcomeAggregator.MaxWaitingPerCohort + 1, aggregator.Unsent().Exposures);
    }

    [Fact]
    public async Task Telemetry_counters_get_one_measurement_per_key_and_minute_on_flush_not_per_event()
    {
        var factory = _services.GetRequiredService<IMeterFactory>();
        var aggregator = NewAggregator();
        var impressions = new ConcurrentBag<(long Value, object? Cohort, object? Variant, object? Strategy)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name == "cohortly.outcomes.impressions")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            object? cohort = null, variant = null, strategy = null;
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case "cohort": cohort = tag.Value; break;
                    case "variant": variant = tag.Value; break;
                    case "strategy": strategy = tag.Value; break;
                }
            }

            impressions.Add((value, cohort, variant, strategy));
        });
        listener.Start();

        for (var i = 0; i < 100; i++)
        {
            aggregator.Record(Key(5), OneServed, T0.AddSeconds(i % 30)); // one key, one minute
        }

        Assert.Empty(impressions); // nothing per event
        await aggregator.FlushAsync("silo-a", (_, _, _) => Task.CompletedTask, CancellationToken.None);

        var m = Assert.Single(impressions);
        Assert.Equal(500, m.Value);
        Assert.Equal(5, m.Cohort);
        Assert.Equal("exp/a", m.Variant);
        Assert.Equal("cohortModel", m.Strategy);
    }
}
