using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Storage;
using Cohortly.Modeling.Training;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Training;

/// <summary>
/// Embedded-mode log: JSON lines in one file per UTC day (events/yyyy-MM-dd.jsonl, attributes/yyyy-MM-dd.jsonl).
/// One writer at a time (a semaphore); lines are serialized outside it and every append is flushed to the
/// operating system before it returns, so an acknowledged event survives a clean shutdown and a killed
/// process (not a power loss: no fsync per request). Readers take only the file lengths under the lock and
/// read without it, so training never stalls ingestion. Day files older than the retention are deleted;
/// old attribute files are first folded into attributes/base.jsonl so a user's attributes outlive them.
/// Every line goes through the <see cref="EventFileCodec"/> (sealed with AES-GCM when Cohortly:DataEncryption has an
/// active key); a line that cannot be opened or parsed is skipped and counted, never fatal.
/// </summary>
public sealed partial class FileInteractionLog : IInteractionLog, IUserDataLog, IDisposable
{
    private const string Extension = ".jsonl";
    private const string BaseFile = "base.jsonl";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _eventsDirectory;
    private readonly string _attributesDirectory;
    private readonly TimeProvider _time;
    private readonly ILogger<FileInteractionLog> _logger;
    private readonly int _retentionDays;
    private readonly EventFileCodec _codec;
    private DayFile? _events;
    private DayFile? _attributes;
    private DateOnly _sweptOn;

    public FileInteractionLog(TrainingDataDirectory directory, IOptions<CohortlyOptions> options, TimeProvider time, ILogger<FileInteractionLog> logger, EventFileCodec codec)
        : this(directory?.Root ?? throw new ArgumentNullException(nameof(directory)), RetentionDays(options?.Value.Training.Retention ?? throw new ArgumentNullException(nameof(options))), time, logger, codec)
    {
    }

    public FileInteractionLog(string root, int retentionDays, TimeProvider time, ILogger<FileInteractionLog> logger, EventFileCodec? codec = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        ArgumentOutOfRangeException.ThrowIfLessThan(retentionDays, 1);
        _eventsDirectory = Path.Combine(root, "events");
        _attributesDirectory = Path.Combine(root, "attributes");
        Directory.CreateDirectory(_eventsDirectory);
        Directory.CreateDirectory(_attributesDirectory);
        _retentionDays = retentionDays;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _codec = codec ?? EventFileCodec.Plain;
        LoadWithheld(root);
    }

    /// <summary>Day files are kept or deleted whole, so a retention that is not whole days keeps the partial day.</summary>
    private static int RetentionDays(TimeSpan retention) => (int)Math.Ceiling(retention.TotalDays);

    public async Task AppendAsync(IReadOnlyList<InteractionEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }

        var erasures = Volatile.Read(ref _erasureCount);
        await WriteAsync(Serialize(events), isEvents: true, cancellationToken, () => erasures == _erasureCount ? (ReadOnlyMemory<byte>?)null : Serialize(events));
    }

    /// <summary>The events as lines (sealed by the codec when it seals), leaving out those of users erased after the event was received.</summary>
    private ReadOnlyMemory<byte> Serialize(IReadOnlyList<InteractionEvent> events)
    {
        var buffer = new ArrayBufferWriter<byte>(events.Count * (_codec.Seals ? 400 : 256));
        var json = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(json))
        {
            for (var i = 0; i < events.Count; i++)
            {
                if (IsLeftOut(events[i]))
                {
                    continue;
                }

                JsonSerializer.Serialize(writer, events[i], Json);
                writer.Flush();
                _codec.Encode(json.WrittenSpan, buffer);
                buffer.Write("\n"u8);
                json.ResetWrittenCount();
                writer.Reset(json);
            }
        }

        return buffer.WrittenMemory;
    }

    public async Task AppendAttributesAsync(string userId, IReadOnlyDictionary<string, string> attributes, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentNullException.ThrowIfNull(attributes);
        var bytes = _codec.EncodeLine(JsonSerializer.SerializeToUtf8Bytes(new AttributeLine(userId, new Dictionary<string, string>(attributes, StringComparer.Ordinal), _time.GetUtcNow()), Json));
        await WriteAsync(bytes, isEvents: false, cancellationToken);
    }

    public async Task<InteractionLogSnapshot> ReadAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        // Lengths under the lock: everything before them is complete lines; appends after them are not read.
        List<(string Path, long Length)> eventFiles;
        List<(string Path, long Length)> attributeFiles;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var firstDay = DateOnly.FromDateTime(since.UtcDateTime);
            eventFiles = Snapshot(_eventsDirectory, day => day >= firstDay);
            attributeFiles = Snapshot(_attributesDirectory, static _ => true);
        }
        finally
        {
            _gate.Release();
        }

        var events = new List<Interaction>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var ids = new IdPool();
        var bad = new UnreadableLines();
        foreach (var (path, length) in eventFiles)
        {
            await ReadLines<InteractionEvent>(path, length, bad, e =>
            {
                if (e.ReceivedAt >= since && !IsWithheld(e.UserId) && seen.Add(e.EventId))
                {
                    events.Add(ids.Share(e.ToInteraction()));
                }
            }, cancellationToken);
        }

        var latest = new Dictionary<string, AttributeLine>(StringComparer.Ordinal);
        foreach (var (path, length) in attributeFiles)
        {
            await ReadLines<AttributeLine>(path, length, bad, a =>
            {
                if (!latest.TryGetValue(a.UserId, out var existing) || existing.At <= a.At)
                {
                    latest[a.UserId] = a;
                }
            }, cancellationToken);
        }

        if (bad.Total > 0)
        {
            LogBadLines(_logger, bad.Total, bad.Malformed, bad.UnknownKey, bad.Tampered, bad.PlainRefused);
        }

        var attributes = new List<UserAttributes>(latest.Count);
        foreach (var a in latest.Values)
        {
            if (IsWithheld(a.UserId))
            {
                continue;
            }

            attributes.Add(new UserAttributes(a.UserId, a.Attributes));
        }

        attributes.Sort(static (a, b) => string.CompareOrdinal(a.UserId, b.UserId));
        return new InteractionLogSnapshot(events, attributes) { UnreadableLines = bad.Total };
    }

    /// <summary>
    /// Deletes event files past the retention and folds old attribute files into the base file; returns the event files
    /// deleted. Runs on the first write of a day and on the silo's retention loop (a quiet log still ages out).
    /// </summary>
    public async Task<long> ApplyRetentionAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await SweepLocked(Today(), cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _events?.Stream.Dispose();
        _attributes?.Stream.Dispose();
        _gate.Dispose();
    }

    private async Task WriteAsync(ReadOnlyMemory<byte> bytes, bool isEvents, CancellationToken cancellationToken, Func<ReadOnlyMemory<byte>?>? reserialize = null)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // An erasure ran since the lines were serialized: serialize again, leaving out what it erased.
            bytes = reserialize?.Invoke() ?? bytes;
            if (bytes.IsEmpty)
            {
                return;
            }

            var today = Today();
            if (_sweptOn != today)
            {
                await SweepLocked(today, CancellationToken.None);
            }

            var stream = isEvents ? Roll(ref _events, _eventsDirectory, today) : Roll(ref _attributes, _attributesDirectory, today);

            // Not cancellable once started: a half-written line would be skipped on read, never half-counted.
            await stream.WriteAsync(bytes, CancellationToken.None);
            await stream.FlushAsync(CancellationToken.None);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static FileStream Roll(ref DayFile? file, string directory, DateOnly today)
    {
        if (file is null || file.Day != today)
        {
            file?.Stream.Dispose();
            var path = Path.Combine(directory, Name(today));
            var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, useAsync: true);
            if (stream.Length > 0 && LastByte(path) != (byte)'\n')
            {
                // A crash left a torn last line; start on a fresh one so only that record is lost.
                stream.WriteByte((byte)'\n');
            }

            file = new DayFile(today, stream);
        }

        return file.Stream;
    }

    private static int LastByte(string path)
    {
        using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        reader.Seek(-1, SeekOrigin.End);
        return reader.ReadByte();
    }

    private async Task<long> SweepLocked(DateOnly today, CancellationToken cancellationToken)
    {
        _sweptOn = today;
        var oldest = today.AddDays(-_retentionDays);
        var deleted = 0L;
        foreach (var path in Directory.EnumerateFiles(_eventsDirectory, "*" + Extension))
        {
            if (DayOf(path) is { } day && day < oldest)
            {
                if (_events?.Day == day)
                {
                    _events.Stream.Dispose();
                    _events = null;
                }

                File.Delete(path);
                deleted++;
                LogDeleted(_logger, Path.GetFileName(path));
            }
        }

        var old = new List<string>();
        foreach (var path in Directory.EnumerateFiles(_attributesDirectory, "*" + Extension))
        {
            if (DayOf(path) is { } day && day < oldest)
            {
                old.Add(path);
            }
        }

        if (old.Count == 0)
        {
            return deleted;
        }

        var basePath = Path.Combine(_attributesDirectory, BaseFile);
        var latest = new Dictionary<string, AttributeLine>(StringComparer.Ordinal);
        old.Sort(StringComparer.Ordinal);
        foreach (var path in (string[])[basePath, .. old])
        {
            if (File.Exists(path))
            {
                await ReadLines<AttributeLine>(path, long.MaxValue, new UnreadableLines(), a =>
                {
                    if (!latest.TryGetValue(a.UserId, out var existing) || existing.At <= a.At)
                    {
                        latest[a.UserId] = a;
                    }
                }, cancellationToken);
            }
        }

        await WriteRecords(basePath, latest.Values, cancellationToken);
        foreach (var path in old)
        {
            if (_attributes is { } open && DayOf(path) == open.Day)
            {
                open.Stream.Dispose();
                _attributes = null;
            }

            File.Delete(path);
        }

        return deleted;
    }

    private static List<(string Path, long Length)> Snapshot(string directory, Func<DateOnly, bool> include)
    {
        var files = new List<(string, long)>();
        foreach (var path in Directory.EnumerateFiles(directory, "*" + Extension))
        {
            var day = DayOf(path);
            if (day is null ? Path.GetFileName(path) == BaseFile : include(day.Value))
            {
                files.Add((path, new FileInfo(path).Length));
            }
        }

        // The base file (no day) first, then days ascending, so later records win when folded.
        files.Sort(static (a, b) => (DayOf(a.Item1) ?? DateOnly.MinValue).CompareTo(DayOf(b.Item1) ?? DateOnly.MinValue));
        return files;
    }

    /// <summary>Reads whole lines up to <paramref name="length"/> bytes; counts in <paramref name="bad"/> those that could not be opened or parsed.</summary>
    private async Task ReadLines<T>(string path, long length, UnreadableLines bad, Action<T> onLine, CancellationToken cancellationToken)
    {
        using var opener = _codec.CreateReader();
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, useAsync: true);
        using var reader = new StreamReader(new BoundedStream(stream, length));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            if (Parse<T>(opener, line, bad) is { } value)
            {
                onLine(value);
            }
        }
    }

    private static T? Parse<T>(EventFileReader opener, string line, UnreadableLines bad)
    {
        var status = opener.Open(line, out var json);
        if (status is not (EventLineStatus.Plain or EventLineStatus.Decrypted))
        {
            bad.Add(status);
            return default;
        }

        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(json.Span, Json);
        }
        catch (JsonException)
        {
            value = default;
        }

        if (value is null)
        {
            bad.Add(EventLineStatus.Malformed);
        }

        return value;
    }

    private DateOnly Today() => DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);

    private static string Name(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + Extension;

    private static DateOnly? DayOf(string path) =>
        DateOnly.TryParseExact(Path.GetFileNameWithoutExtension(path), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Interaction log file {File} is past retention and was deleted")]
    private static partial void LogDeleted(ILogger logger, string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Interaction log: {Count} lines were skipped: {Malformed} torn or unparsable, {UnknownKey} sealed under a key id not configured, {Tampered} failing authentication (changed, or a wrong key), {PlainRefused} plain while plain lines are refused")]
    private static partial void LogBadLines(ILogger logger, int count, int malformed, int unknownKey, int tampered, int plainRefused);

    /// <summary>Lines skipped in one read, by reason.</summary>
    private sealed class UnreadableLines
    {
        public int Malformed { get; private set; }

        public int UnknownKey { get; private set; }

        public int Tampered { get; private set; }

        public int PlainRefused { get; private set; }

        public int Total => Malformed + UnknownKey + Tampered + PlainRefused;

        public void Add(EventLineStatus status)
        {
            switch (status)
            {
                case EventLineStatus.UnknownKey:
                    UnknownKey++;
                    break;
                case EventLineStatus.Tampered:
                    Tampered++;
                    break;
                case EventLineStatus.PlainRefused:
                    PlainRefused++;
                    break;
                default:
                    Malformed++;
                    break;
            }
        }
    }

    private sealed record DayFile(DateOnly Day, FileStream Stream);

    private sealed record AttributeLine(string UserId, Dictionary<string, string> Attributes, DateTimeOffset At);

    /// <summary>Exposes at most the first <c>length</c> bytes of a stream.</summary>
    private sealed class BoundedStream(Stream inner, long length) : Stream
    {
        private long _remaining = length;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_remaining <= 0)
            {
                return 0;
            }

            var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, _remaining)]);
            _remaining -= n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_remaining <= 0)
            {
                return 0;
            }

            var n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remaining)], cancellationToken);
            _remaining -= n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
