using Cohortly.Contracts;
using Cohortly.Modeling.Users;

namespace Cohortly.Grains.Training;

/// <summary>What the log erased of one user.</summary>
/// <param name="Events">Events removed from the log.</param>
/// <param name="Attributes">Attribute records removed from the log.</param>
/// <param name="Cutoff">
/// The embedded cut: every event of the user received at or before it is gone from the files and is refused if it
/// arrives later (a user grain drops such events too). Null in cluster mode, where <paramref name="Watermark"/> is the cut.
/// </param>
/// <param name="Watermark">
/// The cluster-mode cut: the user's newest log position at the erasure; every entry at or below it is gone, and a
/// later one starts a new chain (a new user). Null in embedded mode and for a user with no entries.
/// </param>
public sealed record LogErasure(long Events, long Attributes, DateTimeOffset? Cutoff, LogPosition? Watermark);

/// <summary>Everything the log holds about one user.</summary>
public sealed record UserLogRecords(IReadOnlyList<InteractionEvent> Events, IReadOnlyDictionary<string, string>? Attributes);

/// <summary>
/// The log's part in data subject rights and retention: read one user's records (export), erase them, and drop
/// everything older than the retention. Implemented by both logs next to <see cref="IInteractionLog"/>.
/// </summary>
public interface IUserDataLog
{
    /// <summary>The user's retained events (oldest first) and latest attributes.</summary>
    Task<UserLogRecords> ReadUserAsync(string userId, CancellationToken cancellationToken);

    /// <summary>Removes the user's events and attributes from the log; a second call removes nothing more.</summary>
    Task<LogErasure> EraseUserAsync(string userId, CancellationToken cancellationToken);

    /// <summary>
    /// Records that the user withheld (true) or gave back (false) consent to personalization: while withheld, training
    /// never reads the user's events or attributes, and the embedded log does not store their events at all.
    /// </summary>
    Task SetWithheldAsync(string userId, bool withheld, CancellationToken cancellationToken);

    /// <summary>Removes events older than the configured retention; returns how many records (events or files) went.</summary>
    Task<long> ApplyRetentionAsync(CancellationToken cancellationToken);
}
