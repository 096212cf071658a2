using System.Globalization;
using System.Text;
using System.Text.Json;
using Cohortly.Grains.Training;

namespace Cohortly.Grains.Audit;

/// <summary>
/// Embedded-mode audit trail: JSON lines in <c>audit/audit.jsonl</c> under the data directory, each written and
/// fsync'd (<see cref="FileStream.Flush(bool)"/>) before the append returns; the file is only ever appended to. Ids
/// are line sequence numbers. Audited requests are admin actions and reads of a user's data, rare next to events,
/// so an fsync each and a whole-file scan per query are affordable; a torn last line (power loss) is skipped.
/// </summary>
public sealed class FileAuditLog : IAuditLog
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _path;
    private long _next;

    public FileAuditLog(TrainingDataDirectory directory)
        : this(directory?.Root ?? throw new ArgumentNullException(nameof(directory)))
    {
    }

    public FileAuditLog(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        var folder = Path.Combine(root, "audit");
        Directory.CreateDirectory(folder);
        _path = Path.Combine(folder, "audit.jsonl");
    }

    public async Task<string> AppendAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_next == 0)
            {
                _next = await StartAsync(cancellationToken) + 1;
            }

            await using var file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read, 4096, FileOptions.None);

            var id = _next.ToString(CultureInfo.InvariantCulture);
            var line = JsonSerializer.SerializeToUtf8Bytes(entry with { Id = id }, Json);
            var bytes = new byte[line.Length + 1];
            line.CopyTo(bytes, 0);
            bytes[^1] = (byte)'\n';
            await file.WriteAsync(bytes, cancellationToken);
            file.Flush(flushToDisk: true);
            _next++;
            return id;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<AuditPage> ReadAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var before = long.MaxValue;
        if (query.Before is not null && (!long.TryParse(query.Before, NumberStyles.None, CultureInfo.InvariantCulture, out before)))
        {
            throw new ArgumentException($"'{query.Before}' is not a cursor of this audit log.", nameof(query));
        }

        var all = await ReadAllAsync(cancellationToken);
        var entries = new List<AuditEntry>(Math.Min(query.Limit, 1024));
        for (var i = all.Count - 1; i >= 0; i--)
        {
            var entry = all[i];
            if (long.Parse(entry.Id, CultureInfo.InvariantCulture) >= before || !query.Matches(entry))
            {
                continue;
            }

            if (entries.Count == query.Limit)
            {
                return new AuditPage(entries, entries[^1].Id);
            }

            entries.Add(entry);
        }

        return new AuditPage(entries, null);
    }

    /// <summary>The last id in the file; a torn last line is closed so the next entry starts on its own line.</summary>
    private async Task<long> StartAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(_path) || new FileInfo(_path).Length == 0)
        {
            return 0;
        }

        var all = await ReadAllAsync(cancellationToken);
        await using (var tail = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            tail.Seek(-1, SeekOrigin.End);
            if (tail.ReadByte() != '\n')
            {
                await File.AppendAllTextAsync(_path, "\n", Encoding.UTF8, cancellationToken);
            }
        }

        return all.Count == 0 ? 0 : long.Parse(all[^1].Id, CultureInfo.InvariantCulture);
    }

    private async Task<List<AuditEntry>> ReadAllAsync(CancellationToken cancellationToken)
    {
        var entries = new List<AuditEntry>();
        if (!File.Exists(_path))
        {
            return entries;
        }

        using var reader = new StreamReader(new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                if (JsonSerializer.Deserialize<AuditEntry>(line, Json) is { } entry)
                {
                    entries.Add(entry);
                }
            }
            catch (JsonException)
            {
                // A line torn by a power loss mid-append; the entries around it are whole.
            }
        }

        return entries;
    }
}
