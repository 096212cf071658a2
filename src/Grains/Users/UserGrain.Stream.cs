using Cohortly.Contracts;
using Cohortly.Modeling.Users;
using Cohortly.Streaming.Redis;
using Microsoft.Extensions.Logging;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace Cohortly.Grains.Users;

/// <summary>
/// The user's stream: events applied once each by log position (redeliveries ignored), catch-up from the log for
/// what a previous activation applied but never saved, and the entries kept unacknowledged until a save covers them.
/// </summary>
public sealed partial class UserGrain
{
    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
    {
        NotTimed();
        await handleFactory.Create<InteractionEvent>().ResumeAsync(this);
    }

    public Task OnNextAsync(InteractionEvent item, StreamSequenceToken? token = null)
    {
        NotTimed();
        Messaged();
        services.Backlog.Applied();
        // An item the silo's catalog copy does not have yet is read through first: training counts every event with its
        // item's categories and price, so the live profile must too (a poll-late copy left them out: parity).
        return services.Catalog.IsSettled(item.ItemId) ? Consume(item, token) : SettleThenConsume(item, token);
    }

    private async Task SettleThenConsume(InteractionEvent item, StreamSequenceToken? token)
    {
        await services.Catalog.SettleAsync(item.ItemId, item.ReceivedAt, GrainFactory, CancellationToken.None);
        await Consume(item, token);
    }

    private Task Consume(InteractionEvent item, StreamSequenceToken? token)
    {
        if (token is not RedisStreamSequenceToken logged)
        {
            Apply(item); // embedded mode: memory streams, no positions and no redelivery
            return Task.CompletedTask;
        }

        if (state.State.IsApplied(ToLog(logged.Position)))
        {
            IgnoreRedelivered(logged.EntryId);
            return Task.CompletedTask;
        }

        if (logged.MissedSince(AppliedInLog) is { } missedUpTo)
        {
            return CatchUpThenApply(item, logged, missedUpTo);
        }

        ApplyLogged(item, logged.Position);
        return Task.CompletedTask;
    }

    /// <summary>
    /// The partition owner asks after entries of this user that nobody acknowledged in time (the silo
    /// that applied them died before saving): read whatever this activation has not applied from the
    /// log, then persist and acknowledge at once so they leave the pending list.
    /// </summary>
    public async Task CatchUpFromLog()
    {
        NotTimed();
        if (services.Checkpoint is not { } checkpoint)
        {
            return;
        }

        if (await checkpoint.HeadAsync(StreamId) is { } head && head > AppliedInLog.EntryId)
        {
            await CatchUp(head, stopBefore: null);
        }

        await Persist(CancellationToken.None);
    }

    private async Task CatchUpThenApply(InteractionEvent item, RedisStreamSequenceToken token, RedisEntryId missedUpTo)
    {
        await CatchUp(missedUpTo, token.Position);
        if (state.State.IsApplied(ToLog(token.Position)))
        {
            IgnoreRedelivered(token.EntryId);
            return;
        }

        ApplyLogged(item, token.Position);
    }

    /// <summary>
    /// Applies, oldest first, every logged event of this user after the last applied one up to
    /// <paramref name="newest"/> (and before <paramref name="stopBefore"/>): what a previous activation
    /// applied but never saved, found by following the links between the user's log entries.
    /// </summary>
    private async Task CatchUp(RedisEntryId newest, RedisStreamPosition? stopBefore)
    {
        var gap = await services.Checkpoint!.ReadMissingAsync(StreamId, newest, AppliedInLog.EntryId);
        var applied = 0;
        foreach (var entry in gap.Entries)
        {
            for (var i = 0; i < entry.Events.Count; i++)
            {
                var position = new RedisStreamPosition(entry.EntryId, i);
                if (stopBefore is { } stop && position >= stop)
                {
                    break;
                }

                if (!state.State.IsApplied(ToLog(position)) && entry.Events[i] is InteractionEvent e)
                {
                    await services.Catalog.SettleAsync(e.ItemId, e.ReceivedAt, GrainFactory, CancellationToken.None);
                    ApplyLogged(e, position);
                    applied++;
                }
            }
        }

        services.Metrics.EventsRecovered.Add(applied);
        LogCaughtUp(services.Logger, applied, gap.End);
    }

    /// <summary>The last applied position as the Redis log names it (0-0#0 before the first).</summary>
    private RedisStreamPosition AppliedInLog => state.State.LastApplied is { } p ? new RedisStreamPosition(new RedisEntryId(p.Entry, p.Sequence), p.Index) : default;

    private static LogPosition ToLog(RedisStreamPosition p) => new(p.EntryId.Milliseconds, p.EntryId.Sequence, p.EventIndex);

    private void ApplyLogged(InteractionEvent item, RedisStreamPosition position)
    {
        state.State.LastApplied = ToLog(position);
        RememberUnacknowledged(position.EntryId);
        Apply(item);
    }

    /// <summary>
    /// A redelivered entry: applied before, maybe not yet saved. It needs no write of its own: it is
    /// acknowledged after the pending save, or at once when nothing is pending (then it is persisted).
    /// </summary>
    private void IgnoreRedelivered(RedisEntryId entryId)
    {
        state.State.IgnoreDuplicate();
        services.Metrics.EventsDuplicate.Add(1);
        RememberUnacknowledged(entryId);
        ArmWriteBehind();
    }

    private void RememberUnacknowledged(RedisEntryId entryId)
    {
        var list = _unacknowledged ??= [];
        if (list.Count == 0 || list[^1] != entryId)
        {
            list.Add(entryId);
        }
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex)
    {
        LogStreamError(services.Logger, ex);
        return Task.CompletedTask;
    }


    [LoggerMessage(Level = LogLevel.Information, Message = "Caught up from the log: {Applied} events a previous activation applied but never saved ({End})")]
    private static partial void LogCaughtUp(ILogger logger, int applied, RedisStreamGapEnd end);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Interaction stream reported an error")]
    private static partial void LogStreamError(ILogger logger, Exception exception);
}
