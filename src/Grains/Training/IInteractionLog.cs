using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Training;

namespace Cohortly.Grains.Training;

/// <summary>What training reads: the retained events (deduplicated by event id, in the order received) and the latest attributes per user.</summary>
public sealed record InteractionLogSnapshot(IReadOnlyList<Interaction> Events, IReadOnlyList<UserAttributes> Attributes)
{
    /// <summary>Log lines skipped because they could not be read (torn, unparsable, or failing decryption); training counts them as skipped.</summary>
    public long UnreadableLines { get; init; }
}

/// <summary>
/// The durable record training learns from. Embedded mode: append-only files. Cluster mode: the Redis event
/// streams already are the log, so appending events is a no-op and reading goes to the streams.
/// </summary>
public interface IInteractionLog
{
    /// <summary>Completes once the events are handed to durable storage (the gateway answers 202 after this).</summary>
    Task AppendAsync(IReadOnlyList<InteractionEvent> events, CancellationToken cancellationToken);

    /// <summary>Records a user's attributes; the latest record per user wins.</summary>
    Task AppendAttributesAsync(string userId, IReadOnlyDictionary<string, string> attributes, CancellationToken cancellationToken);

    /// <summary>Events received at or after <paramref name="since"/> and every user's latest attributes.</summary>
    Task<InteractionLogSnapshot> ReadAsync(DateTimeOffset since, CancellationToken cancellationToken);
}
