using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Cohortly.Streaming.Redis;

/// <summary>
/// Validates <see cref="RedisStreamOptions"/> when the host starts (registered with
/// <c>ValidateOnStart</c>), so a bad setting fails before any silo or client runs. Every message
/// names the provider, the option, the rule and the value that broke it.
/// </summary>
public sealed class RedisStreamOptionsValidator : IValidateOptions<RedisStreamOptions>
{
    public static readonly TimeSpan MinPendingIdleTimeout = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxPendingIdleTimeout = TimeSpan.FromDays(1);
    public static readonly TimeSpan MaxAcknowledgementDelay = TimeSpan.FromHours(1);
    public static readonly TimeSpan MinRetention = TimeSpan.FromMinutes(1);
    public const int MaxReadBatchSize = 10_000;
    public const int MaxEventLogPageSize = 100_000;

    public ValidateOptionsResult Validate(string? name, RedisStreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var provider = string.IsNullOrEmpty(name) ? "(unnamed)" : name;
        void Fail(string message) => failures.Add($"Redis stream provider '{provider}': {message}");

        var hasString = !string.IsNullOrWhiteSpace(options.ConnectionString);
        var ways = (hasString ? 1 : 0) + (options.Configuration is null ? 0 : 1) + (options.ConnectionFactory is null ? 0 : 1);
        if (ways != 1)
        {
            Fail(ways > 1
                ? $"set only one of {nameof(options.ConnectionString)}, {nameof(options.Configuration)} and {nameof(options.ConnectionFactory)}."
                : $"{nameof(options.ConnectionString)}, {nameof(options.Configuration)} or {nameof(options.ConnectionFactory)} is required.");
        }
        else if (hasString)
        {
            try
            {
                _ = ConfigurationOptions.Parse(options.ConnectionString!);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException)
            {
                // The parser's message can echo the string; never echo it ourselves (it may hold a password).
                Fail($"{nameof(options.ConnectionString)} is not a valid StackExchange.Redis configuration string ({ex.GetType().Name}).");
            }
        }

        if (options.KeyPrefix is { } prefix
            && (string.IsNullOrWhiteSpace(prefix) || prefix.AsSpan().IndexOfAny("{} ") >= 0))
        {
            Fail($"{nameof(options.KeyPrefix)} must be null (default 'cohortly:stream:{provider}') or a non-empty string without spaces or braces; was '{prefix}'.");
        }

        if (options.PartitionCount is < 1 or > RedisStreamOptions.MaxPartitionCount)
        {
            Fail($"{nameof(options.PartitionCount)} must be between 1 and {RedisStreamOptions.MaxPartitionCount}; was {options.PartitionCount}.");
        }

        switch (options.Trimming)
        {
            case RedisStreamTrimming.Retention when options.Retention < MinRetention:
                Fail($"{nameof(options.Retention)} must be at least {MinRetention} when {nameof(options.Trimming)} is {RedisStreamTrimming.Retention}; was {options.Retention}.");
                break;
            case RedisStreamTrimming.MaxLength when options.MaxStreamLength < 1:
                Fail($"{nameof(options.MaxStreamLength)} must be at least 1 when {nameof(options.Trimming)} is {RedisStreamTrimming.MaxLength}; was {options.MaxStreamLength}.");
                break;
            case RedisStreamTrimming.Retention or RedisStreamTrimming.MaxLength or RedisStreamTrimming.None:
                break;
            default:
                Fail($"{nameof(options.Trimming)} has the undefined value {(int)options.Trimming}.");
                break;
        }

        if (options.ReadBatchSize is < 1 or > MaxReadBatchSize)
        {
            Fail($"{nameof(options.ReadBatchSize)} must be between 1 and {MaxReadBatchSize}; was {options.ReadBatchSize}.");
        }

        if (string.IsNullOrWhiteSpace(options.ConsumerGroup) || options.ConsumerGroup.AsSpan().IndexOfAny(" \t\r\n") >= 0)
        {
            Fail($"{nameof(options.ConsumerGroup)} must be a non-empty name without whitespace; was '{options.ConsumerGroup}'.");
        }

        if (!Enum.IsDefined(options.NewConsumerGroupStart))
        {
            Fail($"{nameof(options.NewConsumerGroupStart)} has the undefined value {(int)options.NewConsumerGroupStart}.");
        }

        if (options.PendingIdleTimeout < MinPendingIdleTimeout || options.PendingIdleTimeout > MaxPendingIdleTimeout)
        {
            Fail($"{nameof(options.PendingIdleTimeout)} must be between {MinPendingIdleTimeout} and {MaxPendingIdleTimeout}; was {options.PendingIdleTimeout}.");
        }

        if (options.AcknowledgementDelay < TimeSpan.Zero || options.AcknowledgementDelay > MaxAcknowledgementDelay)
        {
            Fail($"{nameof(options.AcknowledgementDelay)} must be between 0 and {MaxAcknowledgementDelay}; was {options.AcknowledgementDelay}.");
        }

        if (!Enum.IsDefined(options.Acknowledgement))
        {
            Fail($"{nameof(options.Acknowledgement)} has the undefined value {(int)options.Acknowledgement}.");
        }

        if (options.ConsumerAcknowledgementTimeout < MinPendingIdleTimeout || options.ConsumerAcknowledgementTimeout > MaxPendingIdleTimeout)
        {
            Fail($"{nameof(options.ConsumerAcknowledgementTimeout)} must be between {MinPendingIdleTimeout} and {MaxPendingIdleTimeout}; was {options.ConsumerAcknowledgementTimeout}.");
        }

        if (options.AcknowledgementFlushInterval < TimeSpan.FromMilliseconds(1) || options.AcknowledgementFlushInterval > TimeSpan.FromMinutes(1))
        {
            Fail($"{nameof(options.AcknowledgementFlushInterval)} must be between 1 ms and 1 minute; was {options.AcknowledgementFlushInterval}.");
        }

        if (options.MaxRecoveryAttempts is < 1 or > 10_000)
        {
            Fail($"{nameof(options.MaxRecoveryAttempts)} must be between 1 and 10000; was {options.MaxRecoveryAttempts}.");
        }

        if (options.EventLogPageSize is < 1 or > MaxEventLogPageSize)
        {
            Fail($"{nameof(options.EventLogPageSize)} must be between 1 and {MaxEventLogPageSize}; was {options.EventLogPageSize}.");
        }

        if (options.DeadLetterMaxLength < 1)
        {
            Fail($"{nameof(options.DeadLetterMaxLength)} must be at least 1; was {options.DeadLetterMaxLength}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
