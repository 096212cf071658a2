using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Cohortly.Streaming.Redis;

/// <summary>
/// Writes a record to <c>&lt;prefix&gt;:dead-letter</c> for every entry the provider gave up on: an
/// entry it cannot decode, or a delivery Orleans reported as failed. The original entry stays in
/// its partition (acknowledging does not delete), so the record is enough to replay it by hand.
/// Best effort: a failure to write the record is logged, never thrown.
/// </summary>
internal sealed partial class RedisStreamDeadLetters
{
    private readonly RedisStreamConnection _connection;
    private readonly RedisKey _key;
    private readonly long _maxLength;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public RedisStreamDeadLetters(RedisStreamConnection connection, RedisStreamKeys keys, long maxLength, TimeProvider timeProvider, ILogger logger)
    {
        _connection = connection;
        _key = keys.DeadLetter;
        _maxLength = maxLength;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public async Task RecordAsync(string reason, int partition, string? entry, string? stream, string? detail, CancellationToken cancellationToken)
    {
        try
        {
            var database = await _connection.GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
            NameValueEntry[] fields =
            [
                new("reason", reason),
                new("partition", partition),
                new("entry", entry ?? string.Empty),
                new("stream", stream ?? string.Empty),
                new("detail", detail ?? string.Empty),
                new("at", _timeProvider.GetUtcNow().ToString("O", CultureInfo.InvariantCulture)),
            ];
            await RedisStreamCommands.AddAsync(database, _key, fields, RedisStreamTrimming.MaxLength, default, _maxLength).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            LogRecordFailed(ex, reason, partition);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not write a dead-letter record (reason {Reason}, partition {Partition}).")]
    private partial void LogRecordFailed(Exception exception, string reason, int partition);
}
