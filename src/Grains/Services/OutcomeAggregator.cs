using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Modeling.Outcomes;
using Microsoft.Extensions.Logging;

namespace Cohortly.Grains.Services;

/// <summary>
/// The silo's <see cref="IOutcomeRecorder"/>: sums outcome deltas per key and minute, and sends each cohort's sums to
/// its <see cref="IOutcomeGrain"/> about once a second (<see cref="FlushAsync"/>, from <see cref="SiloBackgroundWork"/>).
/// <para>
/// Hot path: <see cref="Record"/> runs on every recommendation and attributed event, on many threads. It adds into
/// one of a set of stripes chosen by the calling thread, each with its own lock and dictionary, so threads almost never
/// wait for each other, and a repeated (key, minute) adds in place: no allocation once the dictionaries have grown.
/// The flush swaps each stripe's dictionary with an empty spare and reuses the drained one as the next spare, so no
/// buffer lives one interval and dies (the mid-life garbage that lengthens young collections).
/// </para>
/// <para>
/// Delivery: each cohort has an outbox. New sums wait in it; a batch gets the next sequence number when it is sent and
/// is resent unchanged, with the same number, until a call succeeds, while newer sums keep waiting. The grain applies
/// each sender's sequence once, so a call that failed after the grain applied it is not counted twice, and a call that
/// failed before is not lost. A waiting outbox holds at most <see cref="MaxWaitingPerCohort"/> (key, minute) entries;
/// beyond that, while its grain stays unreachable, new entries are dropped and counted (cohortly.outcomes.dropped).
/// </para>
/// </summary>
public sealed partial class OutcomeAggregator : IOutcomeRecorder
{
    public const int MaxWaitingPerCohort = 50_000;

    private readonly Stripe[] _stripes;
    private readonly int _mask;
    private readonly Dictionary<int, Outbox> _outboxes = [];
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private readonly CohortlyMetrics _metrics;
    private readonly ILogger<OutcomeAggregator> _logger;
    private long _sequence;

    public OutcomeAggregator(CohortlyMetrics metrics, ILogger<OutcomeAggregator> logger)
    {
        _metrics = metrics;
        _logger = logger;
        // Power of two ≥ 4 × cores: thread-pool thread ids are small consecutive numbers, so they spread evenly.
        var count = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(Environment.ProcessorCount * 4, 8, 256));
        _stripes = new Stripe[count];
        for (var i = 0; i < count; i++)
        {
            _stripes[i] = new Stripe();
        }

        _mask = count - 1;
    }

    /// <summary>Entries dropped because an outbox was full (also counted on cohortly.outcomes.dropped).</summary>
    public long Dropped { get; private set; }

    public void Record(in OutcomeKey key, in OutcomeCounts delta, DateTimeOffset at)
    {
        if (delta.IsEmpty)
        {
            return;
        }

        var slotKey = new PendingKey(key, OutcomeTime.Start(OutcomeGranularity.Minute, at).UtcTicks);
        var stripe = _stripes[Environment.CurrentManagedThreadId & _mask];
        lock (stripe.Gate)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(stripe.Counts, slotKey, out _);
            slot = slot.Plus(delta);
        }
    }

    /// <summary>
    /// Moves what was recorded into the outboxes and sends one batch per cohort that has anything, concurrently.
    /// <paramref name="send"/> delivers a cohort's batch (the grain call); a failure leaves the batch to be resent.
    /// One flush at a time.
    /// </summary>
    public async Task FlushAsync(string sender, Func<int, OutcomeBatch, CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(send);
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            Drain();
            List<Task>? calls = null;
            foreach (var (cohortId, outbox) in _outboxes)
            {
                if (outbox.InFlight is null && outbox.Waiting.Count > 0)
                {
                    outbox.InFlight = Seal(sender, outbox.Waiting);
                }

                if (outbox.InFlight is { } batch)
                {
                    (calls ??= []).Add(SendOne(cohortId, outbox, batch, send, cancellationToken));
                }
            }

            if (calls is not null)
            {
                await Task.WhenAll(calls);
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>Entries recorded or waiting and not yet acknowledged by their grain (for tests and diagnostics).</summary>
    public OutcomeCounts Unsent()
    {
        _flushing.Wait();
        try
        {
            var total = default(OutcomeCounts);
            foreach (var stripe in _stripes)
            {
                lock (stripe.Gate)
                {
                    foreach (var counts in stripe.Counts.Values)
                    {
                        total = total.Plus(counts);
                    }
                }
            }

            foreach (var outbox in _outboxes.Values)
            {
                foreach (var counts in outbox.Waiting.Values)
                {
                    total = total.Plus(counts);
                }

                if (outbox.InFlight is { } batch)
                {
                    foreach (var entry in batch.Entries)
                    {
                        total = total.Plus(entry.Counts);
                    }
                }
            }

            return total;
        }
        finally
        {
            _flushing.Release();
        }
    }

    private async Task SendOne(int cohortId, Outbox outbox, OutcomeBatch batch, Func<int, OutcomeBatch, CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        try
        {
            await send(cohortId, batch, cancellationToken);
            outbox.InFlight = null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Kept in flight: resent with the same sequence at the next flush.
            LogSendFailed(_logger, cohortId, batch.Sequence, ex);
        }
    }

    /// <summary>Moves every stripe's sums into the cohorts' waiting outboxes and adds them to the telemetry counters.</summary>
    private void Drain()
    {
        var dropped = 0L;
        foreach (var stripe in _stripes)
        {
            Dictionary<PendingKey, OutcomeCounts> taken;
            lock (stripe.Gate)
            {
                if (stripe.Counts.Count == 0)
                {
                    continue;
                }

                taken = stripe.Counts;
                stripe.Counts = stripe.Spare;
            }

            foreach (var (key, counts) in taken)
            {
                var cohortId = key.Key.CohortId;
                if (!_outboxes.TryGetValue(cohortId, out var outbox))
                {
                    outbox = new Outbox();
                    _outboxes[cohortId] = outbox;
                }

                if (outbox.Waiting.Count >= MaxWaitingPerCohort && !outbox.Waiting.ContainsKey(key))
                {
                    dropped++;
                    continue;
                }

                ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(outbox.Waiting, key, out _);
                slot = slot.Plus(counts);
                Count(key.Key, counts);
            }

            taken.Clear();
            stripe.Spare = taken;
        }

        if (dropped > 0)
        {
            Dropped += dropped;
            _metrics.OutcomesDropped.Add(dropped);
            LogDropped(_logger, dropped);
        }
    }

    private void Count(in OutcomeKey key, in OutcomeCounts counts)
    {
        var tags = new TagList
        {
            { "cohort", key.CohortId },
            { "variant", OutcomeGrouping.VariantName(key.Experiment, key.Variant) },
            { "strategy", OutcomeGrouping.StrategyName(key.Strategy) },
        };
        if (counts.Impressions != 0)
        {
            _metrics.OutcomeImpressions.Add(counts.Impressions, tags);
        }

        if (counts.Clicks != 0)
        {
            _metrics.OutcomeClicks.Add(counts.Clicks, tags);
        }

        if (counts.Purchases != 0)
        {
            _metrics.OutcomeConversions.Add(counts.Purchases, tags);
        }

        if (counts.Revenue != 0)
        {
            _metrics.OutcomeRevenue.Add(counts.Revenue, tags);
        }
    }

    private OutcomeBatch Seal(string sender, Dictionary<PendingKey, OutcomeCounts> waiting)
    {
        var entries = new OutcomeEntry[waiting.Count];
        var i = 0;
        foreach (var (key, counts) in waiting)
        {
            entries[i++] = new OutcomeEntry(key.Key, new DateTimeOffset(key.MinuteTicks, TimeSpan.Zero), counts);
        }

        waiting.Clear();
        return new OutcomeBatch(sender, ++_sequence, entries);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending outcomes (batch {Sequence}) to cohort {CohortId} failed; the batch will be resent")]
    private static partial void LogSendFailed(ILogger logger, int cohortId, long sequence, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dropped {Entries} outcome entries: their cohort's outbox is full while its outcome grain is unreachable")]
    private static partial void LogDropped(ILogger logger, long entries);

    private readonly record struct PendingKey(OutcomeKey Key, long MinuteTicks);

    private sealed class Stripe
    {
        public Lock Gate { get; } = new();

        public Dictionary<PendingKey, OutcomeCounts> Counts { get; set; } = [];

        public Dictionary<PendingKey, OutcomeCounts> Spare { get; set; } = [];
    }

    private sealed class Outbox
    {
        public Dictionary<PendingKey, OutcomeCounts> Waiting { get; } = [];

        public OutcomeBatch? InFlight { get; set; }
    }
}
