using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Cohortly.Streaming.Redis.Tests;

/// <summary>Keeps the provider's log records (and Orleans' streaming warnings) for assertions.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<Record> _records = new();

    public IReadOnlyCollection<Record> Records => _records;

    public IEnumerable<Record> AtLeast(LogLevel level) => _records.Where(r => r.Level >= level);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _records);

    public void Dispose()
    {
    }

    public sealed record Record(string Category, LogLevel Level, string Message, Exception? Exception)
    {
        public override string ToString() => $"{Level} {Category}: {Message} {Exception?.GetType().Name}";
    }

    private sealed class Logger(string category, ConcurrentQueue<Record> records) : ILogger
    {
        private readonly bool _interesting = category.StartsWith("Cohortly", StringComparison.Ordinal)
            || category.StartsWith("Orleans.Streams", StringComparison.Ordinal);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => _interesting && logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                records.Enqueue(new Record(category, logLevel, formatter(state, exception), exception));
            }
        }
    }
}
