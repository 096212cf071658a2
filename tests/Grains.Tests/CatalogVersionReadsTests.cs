using Cohortly.Grains.Services;
using Microsoft.Extensions.Time.Testing;

namespace Cohortly.Grains.Tests;

/// <summary>
/// The read-through's version reads (CatalogVersionReads): misses share the next read to start, reads run one at a
/// time and at least the interval apart, and a miss never takes the answer of a read that started before it.
/// </summary>
public sealed class CatalogVersionReadsTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>How long an awaited read may take before the test fails instead of waiting for ever.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>When the events of these misses were received: FakeTimeProvider's start, so no read started late enough before them.</summary>
    private static readonly DateTimeOffset Received = new FakeTimeProvider().GetUtcNow();

    [Fact]
    public async Task A_thousand_concurrent_misses_cost_one_read()
    {
        var time = new FakeTimeProvider();
        var reads = new CatalogVersionReads(time, Interval);
        var answers = new[] { new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously) };
        var calls = 0;
        Task<long> Read() => answers[Interlocked.Increment(ref calls) - 1].Task;

        // A read is on its way before the misses come, so all thousand wait for the next one. Issued with no read
        // running, the first miss's read could start on the thread pool while the loop was still issuing the others
        // (a busy machine: 8 of 300 rounds here), and those rightly queued a second read, due an interval later on a
        // fake clock nobody advanced: the test waited for ever (then, with its awaits bounded, failed after 30 s).
        var running = reads.NextAsync(Received, Read, CancellationToken.None);
        await Eventually.True(() => Task.FromResult(Volatile.Read(ref calls) == 1), "the first read starts");
        var misses = Enumerable.Range(0, 1000).Select(_ => reads.NextAsync(Received, Read, CancellationToken.None)).ToArray();
        answers[0].SetResult(6);
        Assert.Equal(6, await running.WaitAsync(Bound));

        await Eventually.True(() => Task.FromResult(Advanced(time, Volatile.Read(ref calls) == 2)), "the misses' read starts once the interval passed");
        answers[1].SetResult(7);

        Assert.All(await Task.WhenAll(misses).WaitAsync(Bound), v => Assert.Equal(7, v));
        Assert.Equal(2, calls);
        Assert.Equal(2, reads.Started);
    }

    [Fact]
    public async Task A_miss_during_a_read_waits_for_the_next_read_which_starts_an_interval_after_the_previous()
    {
        var time = new FakeTimeProvider();
        var reads = new CatalogVersionReads(time, Interval);
        var answers = new[] { new TaskCompletionSource<long>(), new TaskCompletionSource<long>() };
        var calls = 0;
        Task<long> Read() => answers[Interlocked.Increment(ref calls) - 1].Task;

        var first = reads.NextAsync(Received, Read, CancellationToken.None);
        await Eventually.True(() => Task.FromResult(Volatile.Read(ref calls) == 1), "the first read starts");
        var second = reads.NextAsync(Received, Read, CancellationToken.None); // the first read is on its way: this one may not share it
        var third = reads.NextAsync(Received, Read, CancellationToken.None);
        answers[0].SetResult(1);
        Assert.Equal(1, await first.WaitAsync(Bound));

        await Task.Delay(50); // let the queued read reach its wait (it must not start before the interval)
        Assert.Equal(1, Volatile.Read(ref calls));
        Assert.False(second.IsCompleted);

        // Advanced on every poll: the queued read may reach its wait only after an advance (a busy machine), and a
        // single advance before its timer exists would never fire it.
        await Eventually.True(() => Task.FromResult(Advanced(time, Volatile.Read(ref calls) == 2)), "the queued read starts once the interval passed");
        answers[1].SetResult(2);
        Assert.Equal(2, await second.WaitAsync(Bound));
        Assert.Equal(2, await third.WaitAsync(Bound));
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task A_miss_on_an_event_received_before_the_last_read_started_takes_its_answer_without_a_read()
    {
        var time = new FakeTimeProvider();
        var reads = new CatalogVersionReads(time, Interval);
        var calls = 0;
        Task<long> Read() => Task.FromResult((long)Interlocked.Increment(ref calls));

        var receivedEarly = time.GetUtcNow();
        time.Advance(CatalogVersionReads.ClockAllowance);
        Assert.Equal(1, await reads.NextAsync(receivedEarly, Read, CancellationToken.None));

        // Received before that read started (allowance included): a backlog being applied needs no read of its own.
        Assert.Equal(1, await reads.NextAsync(receivedEarly, Read, CancellationToken.None));
        Assert.Equal(1, calls);

        // Received after it started: only a newer read can have seen an upsert acknowledged before the event.
        var receivedLate = time.GetUtcNow();
        var late = reads.NextAsync(receivedLate, Read, CancellationToken.None);
        await Eventually.True(() => Task.FromResult(Advanced(time, late.IsCompleted)), "the next read starts once the interval passed");
        Assert.Equal(2, await late);
        Assert.Equal(2, calls);
    }

    /// <summary>
    /// Moves the fake clock one interval on while <paramref name="done"/> is false. A read computes its wait, then
    /// starts a timer on the fake clock: an advance that falls between the two leaves that timer due an interval after
    /// the clock's new time, so a test that advanced once could wait for ever on a busy machine.
    /// </summary>
    private static bool Advanced(FakeTimeProvider time, bool done)
    {
        if (!done)
        {
            time.Advance(Interval);
        }

        return done;
    }

    [Fact]
    public async Task A_failed_read_fails_its_misses_and_the_next_miss_reads_again()
    {
        var time = new FakeTimeProvider();
        var reads = new CatalogVersionReads(time, TimeSpan.Zero);
        var calls = 0;
        Task<long> Read() => Interlocked.Increment(ref calls) == 1 ? Task.FromException<long>(new TimeoutException("catalog")) : Task.FromResult(5L);

        await Assert.ThrowsAsync<TimeoutException>(() => reads.NextAsync(Received, Read, CancellationToken.None));
        Assert.Equal(5, await reads.NextAsync(Received, Read, CancellationToken.None));
        Assert.Equal(2, calls);
    }
}
