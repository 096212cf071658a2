namespace Cohortly.Grains.Audit;

/// <summary>
/// One audited request: when, which key (name and role), the action (method and route pattern), its target (the
/// route values, user ids in clear: only admin keys read this log) and the status code it ended with.
/// <see cref="Id"/> is assigned by the log and orders entries (it is the paging cursor).
/// </summary>
public sealed record AuditEntry(
    string Id,
    DateTimeOffset At,
    string KeyName,
    string Role,
    string Action,
    IReadOnlyDictionary<string, string> Target,
    int Status);

/// <summary>
/// Which entries to read, newest first: those older than <see cref="Before"/> (a cursor, the last id of the previous
/// page), of one key name, whose action starts with <see cref="Action"/> (a method, or a method and route
/// prefix), within [<see cref="Since"/>, <see cref="Until"/>).
/// </summary>
public sealed record AuditQuery(
    int Limit,
    string? Before = null,
    string? KeyName = null,
    string? Action = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null)
{
    public bool Matches(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return (KeyName is null || string.Equals(entry.KeyName, KeyName, StringComparison.Ordinal))
            && (Action is null || entry.Action.StartsWith(Action, StringComparison.Ordinal))
            && (Since is null || entry.At >= Since)
            && (Until is null || entry.At < Until);
    }
}

/// <summary>A page of entries, newest first, and the cursor of the next page (null on the last one).</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Entries, string? Next);

/// <summary>
/// The durable, append-only audit trail. Each backend provides one: embedded, a file in the data directory
/// (<see cref="FileAuditLog"/>); Redis, a stream (<see cref="RedisAuditLog"/>).
/// </summary>
public interface IAuditLog
{
    /// <summary>Appends the entry (its <see cref="AuditEntry.Id"/> is ignored) and returns once it is durable.</summary>
    Task<string> AppendAsync(AuditEntry entry, CancellationToken cancellationToken);

    Task<AuditPage> ReadAsync(AuditQuery query, CancellationToken cancellationToken);
}
