using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Cohortly.TestSupport;

/// <summary>
/// A log sink for tests that reads every entry as a real sink would: the formatted message, each structured value
/// as text, every enclosing scope (its pairs and its text) and the exception's full text. Entries are checked as they
/// arrive and only the ones <paramref name="keep"/> accepts are kept, so a run at Trace level does not hold every line.
/// Add it with a provider-specific filter (<c>AddFilter&lt;CapturingLoggerProvider&gt;(null, LogLevel.Trace)</c>) to
/// see below the host's configured levels.
/// </summary>
public sealed class CapturingLoggerProvider(Func<string, bool> keep) : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<CapturedLog> _kept = new();
    private IExternalScopeProvider? _scopes;
    private long _seen;

    /// <summary>Entries written to this sink, kept or not.</summary>
    public long Seen => Interlocked.Read(ref _seen);

    public IReadOnlyCollection<CapturedLog> Kept => _kept;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private void Write(CapturedLog entry)
    {
        Interlocked.Increment(ref _seen);
        if (keep(entry.Text))
        {
            _kept.Enqueue(entry);
        }
    }

    private static string Render(object? value) => value switch
    {
        null => "(null)",
        string s => s,
        IEnumerable items and not IDictionary => string.Join(", ", items.Cast<object?>().Select(Render)),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = new List<string>();
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var (key, value) in pairs)
                {
                    values.Add($"{key}={Render(value)}");
                }
            }

            var scopes = new List<string>();
            owner._scopes?.ForEachScope(
                static (scope, list) =>
                {
                    list.Add(Render(scope));
                    if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                    {
                        foreach (var (key, value) in pairs)
                        {
                            list.Add($"{key}={Render(value)}");
                        }
                    }
                },
                scopes);
            owner.Write(new CapturedLog(category, logLevel, formatter(state, exception), values, scopes, exception?.ToString(), exception?.GetType().FullName));
        }
    }
}

/// <summary>One captured entry; <see cref="Text"/> is everything a sink could write of it.</summary>
public sealed record CapturedLog(string Category, LogLevel Level, string Message, IReadOnlyList<string> Values, IReadOnlyList<string> Scopes, string? Exception, string? ExceptionType)
{
    public string Text { get; } = Join(Category, Message, Values, Scopes, Exception);

    public override string ToString() => $"[{Level}] {Category}: {Text}";

    private static string Join(string category, string message, IReadOnlyList<string> values, IReadOnlyList<string> scopes, string? exception)
    {
        var text = new StringBuilder().Append(category).Append(" | ").Append(message);
        foreach (var value in values)
        {
            text.Append(" | ").Append(value);
        }

        foreach (var scope in scopes)
        {
            text.Append(" | scope ").Append(scope);
        }

        return text.Append(" | ").Append(exception).ToString();
    }
}
