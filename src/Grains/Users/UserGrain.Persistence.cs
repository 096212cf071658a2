namespace Cohortly.Grains.Users;

/// <summary>
/// Persistence: the state written behind on a one-shot timer and on deactivation, and the log entries acknowledged
/// only after the save that covers them.
/// </summary>
public sealed partial class UserGrain
{
    /// <summary>
    /// Arms a one-shot write-behind timer. Idle users hold no timer at all, which matters with
    /// 100k resident grains; a busy user is written at most once per interval.
    /// </summary>
    private void MarkDirty()
    {
        _dirty = true;
        ArmWriteBehind();
    }

    private void ArmWriteBehind()
    {
        // Interleaving: while the save waits on storage (seconds when Redis is unreachable), reads and
        // events still run; the state is serialized when the write starts, and what changes after
        // that is covered by the next write.
        _writeBehind ??= this.RegisterGrainTimer(
            static (g, ct) => g.WriteBehind(ct, retry: true),
            this,
            new GrainTimerCreationOptions(services.Settings.WriteBehind, Timeout.InfiniteTimeSpan) { Interleave = true });
    }

    private async Task WriteBehind(CancellationToken cancellationToken, bool retry)
    {
        // The timer is disposed only after the write: disposing a grain timer cancels the token its
        // running callback holds, which cancelled every write-behind in flight. Each cancelled write
        // re-armed the timer, so every dirty user retried every interval forever and population
        // slowed down with the number of users (plus a warning with a stack trace per retry).
        var timer = _writeBehind;
        try
        {
            await Persist(cancellationToken);
        }
        finally
        {
            if (ReferenceEquals(timer, _writeBehind))
            {
                _writeBehind = null;
            }

            timer?.Dispose();
            if ((_dirty || _unacknowledged is { Count: > 0 }) && retry)
            {
                ArmWriteBehind();
            }
        }
    }

    /// <summary>
    /// Saves the state if it changed, then acknowledges the log entries the save covers (group commit:
    /// one save for everything applied since the last one; the silo sends the acknowledgements of all
    /// its users together). The entries are taken
    /// before the write starts, so an event applied while the write is in flight waits for the next one.
    /// </summary>
    private async Task Persist(CancellationToken cancellationToken)
    {
        // One at a time: the write-behind timer interleaves with grain calls (CatchUpFromLog persists too), and an
        // acknowledgement must never overtake a save still in flight that holds the entry's effects.
        while (_persisting is { } running)
        {
            try
            {
                await running;
            }
            catch
            {
                // its own caller sees the failure; this one retries below
            }
        }

        var persisting = PersistCore(cancellationToken);
        _persisting = persisting;
        try
        {
            await persisting;
        }
        finally
        {
            if (ReferenceEquals(_persisting, persisting))
            {
                _persisting = null;
            }
        }
    }

    private async Task PersistCore(CancellationToken cancellationToken)
    {
        var covered = _unacknowledged;
        _unacknowledged = null;
        try
        {
            if (_dirty)
            {
                _dirty = false;
                try
                {
                    await state.WriteStateAsync(cancellationToken);
                }
                catch
                {
                    _dirty = true;
                    throw;
                }
            }

            if (covered is { Count: > 0 } && services.Checkpoint is { } checkpoint)
            {
                // Into the silo's acknowledgement buffer: one XACK per partition about every 100 ms
                // instead of a round trip per save.
                checkpoint.Acknowledge(StreamId, covered);
            }

            covered = null;
        }
        finally
        {
            if (covered is not null)
            {
                // Not saved or not acknowledged: keep them for the next attempt, oldest first.
                if (_unacknowledged is { } newer)
                {
                    covered.AddRange(newer);
                }

                _unacknowledged = covered;
            }
        }
    }
}
