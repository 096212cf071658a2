using System.Collections.Concurrent;
using Cohortly.Contracts;
using Microsoft.Extensions.Logging;

namespace Cohortly.Grains.Training;

/// <summary>Erasure and export of one user's records in the day files.</summary>
public sealed partial class FileInteractionLog
{
    /// <summary>
    /// Users erased by this process, with the cut: an event received at or before it that reaches
    /// <see cref="AppendAsync"/> after the erasure (it was in flight) is left out. Memory only: in embedded mode the
    /// sink appends before it answers, so nothing is in flight across a restart.
    /// </summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> _erased = new(StringComparer.Ordinal);
    private int _erasureCount;

    /// <summary>
    /// Users who withheld consent to personalization (<c>withheld.jsonl</c> in the log's root, one <c>{"userId"}</c>
    /// object a line, sealed like the day files when encryption is on).
    /// </summary>
    private ConcurrentDictionary<string, bool> _withheld = new(StringComparer.Ordinal);
    private string _withheldPath = "";

    /// <summary>An event the log does not keep: its user was erased after it was received, or withheld consent.</summary>
    private bool IsLeftOut(InteractionEvent e) =>
        IsWithheld(e.UserId) || (!_erased.IsEmpty && _erased.TryGetValue(e.UserId, out var cutoff) && e.ReceivedAt <= cutoff);

    private bool IsWithheld(string userId) => !_withheld.IsEmpty && _withheld.ContainsKey(userId);

    private void LoadWithheld(string root)
    {
        _withheldPath = Path.Combine(root, "withheld.jsonl");
        if (File.Exists(_withheldPath))
        {
            ReadLines<WithheldLine>(_withheldPath, long.MaxValue, new UnreadableLines(), line => _withheld[line.UserId] = true, CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    public async Task SetWithheldAsync(string userId, bool withheld, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var changed = withheld ? _withheld.TryAdd(userId, true) : _withheld.TryRemove(userId, out _);
            if (changed)
            {
                Interlocked.Increment(ref _erasureCount);
                var ids = new List<string>(_withheld.Keys);
                ids.Sort(StringComparer.Ordinal);
                await WriteRecords(_withheldPath, ids.ConvertAll(static id => new WithheldLine(id)), CancellationToken.None);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<UserLogRecords> ReadUserAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        List<(string Path, long Length)> eventFiles;
        List<(string Path, long Length)> attributeFiles;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            eventFiles = Snapshot(_eventsDirectory, static _ => true);
            attributeFiles = Snapshot(_attributesDirectory, static _ => true);
        }
        finally
        {
            _gate.Release();
        }

        var events = new List<InteractionEvent>();
        foreach (var (path, length) in eventFiles)
        {
            await ReadLines<InteractionEvent>(path, length, new UnreadableLines(), e =>
            {
                if (e.UserId == userId)
                {
                    events.Add(e);
                }
            }, cancellationToken);
        }

        AttributeLine? latest = null;
        foreach (var (path, length) in attributeFiles)
        {
            await ReadLines<AttributeLine>(path, length, new UnreadableLines(), a =>
            {
                if (a.UserId == userId && (latest is null || latest.At <= a.At))
                {
                    latest = a;
                }
            }, cancellationToken);
        }

        return new UserLogRecords(events, latest?.Attributes);
    }

    /// <summary>
    /// Rewrites every day file that holds a line of the user without it (a new file renamed over the old one, so a
    /// crash leaves either the old or the new file, never a half), attributes included (the base file too).
    /// </summary>
    public async Task<LogErasure> EraseUserAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var cutoff = _time.GetUtcNow();
            _erased[userId] = cutoff;
            Interlocked.Increment(ref _erasureCount);
            // The open day files are closed first: a rename over a file open for appending would leave the handle
            // writing to the erased copy.
            _events?.Stream.Dispose();
            _events = null;
            _attributes?.Stream.Dispose();
            _attributes = null;

            var events = 0L;
            foreach (var path in Directory.EnumerateFiles(_eventsDirectory, "*" + Extension))
            {
                events += await RemoveUser<InteractionEvent>(path, e => e.UserId == userId, CancellationToken.None);
            }

            var attributes = 0L;
            foreach (var path in Directory.EnumerateFiles(_attributesDirectory, "*" + Extension))
            {
                attributes += await RemoveUser<AttributeLine>(path, a => a.UserId == userId, CancellationToken.None);
            }

            LogErased(_logger, events, attributes);
            return new LogErasure(events, attributes, cutoff, null);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Rewrites <paramref name="path"/> without the records that match; returns how many went. Every other line is kept
    /// as it was written, byte for byte: a sealed line stays sealed under its key, and a line this process cannot open
    /// (a key not configured, a torn line) is kept rather than lost.
    /// </summary>
    private async Task<long> RemoveUser<T>(string path, Func<T, bool> matches, CancellationToken cancellationToken)
    {
        var kept = new List<string>();
        var removed = 0L;
        var ignored = new UnreadableLines();
        using (var opener = _codec.CreateReader())
        await using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, useAsync: true))
        using (var reader = new StreamReader(stream))
        {
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                if (Parse<T>(opener, line, ignored) is { } record && matches(record))
                {
                    removed++;
                }
                else
                {
                    kept.Add(line);
                }
            }
        }

        if (removed > 0)
        {
            await Replace(path, kept, static (line, output) => output.Write(System.Text.Encoding.UTF8.GetBytes(line + "\n")), cancellationToken);
        }

        return removed;
    }

    /// <summary>
    /// Writes whole records as lines (sealed by the codec when it seals) to a new file and renames it over
    /// <paramref name="path"/>: with <see cref="RemoveUser"/>, the one way this log rewrites a file (retention's
    /// attribute fold — which is also how attribute lines move to a rotated key —, the withheld list, erasure); the
    /// counterpart of <see cref="ReadLines"/>.
    /// </summary>
    private Task WriteRecords<T>(string path, IEnumerable<T> records, CancellationToken cancellationToken) =>
        Replace(path, records, (record, output) => output.Write(_codec.EncodeLine(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(record, Json))), cancellationToken);

    private static async Task Replace<T>(string path, IEnumerable<T> lines, Action<T, FileStream> write, CancellationToken cancellationToken)
    {
        var temp = path + ".tmp";
        await using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: false))
        {
            foreach (var line in lines)
            {
                write(line, output);
            }

            await output.FlushAsync(cancellationToken);
            output.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Interaction log: erased a user's {Events} events and {Attributes} attribute records")]
    private static partial void LogErased(ILogger logger, long events, long attributes);

    private sealed record WithheldLine(string UserId);
}
