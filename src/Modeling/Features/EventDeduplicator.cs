using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cohortly.Modeling.Features;

/// <summary>
/// The event ids one user sent within a time window (24 h by default), as 64-bit FNV-1a hashes with the
/// minute each was received. A client that retries an event id inside the window gets it counted once,
/// however many newer events the user had in between.
/// </summary>
/// <remarks>
/// <para>Cost: 12 bytes per event received within the window (8 for the hash, 4 for the minute), in memory
/// and in storage (base64, 16 characters per event). A user with a handful of events a day holds a few
/// hundred bytes; the arrays grow only as far as they are used and shrink back as the window slides.</para>
/// <para>Time is the gateway's receive stamp of each event, not the wall clock of the silo applying it,
/// so a replay from the log decides exactly as the first delivery did. A user with more than
/// <see cref="MaxEntries"/> events inside the window keeps only the newest ones.</para>
/// <para>Public members keep it serializable with System.Text.Json; a state written by the older
/// 64-entry ring deserializes as empty (those ids were long past any retry).</para>
/// </remarks>
public sealed class EventDeduplicator
{
    /// <summary>Most ids one user keeps; beyond it the oldest go first.</summary>
    public const int MaxEntries = 100_000;

    private const int InitialCapacity = 4;

    private long[] _ids = [];
    private int[] _minutes = [];
    private int _count;

    /// <summary>Hashes of the remembered ids, oldest first (the first <see cref="Count"/> are valid).</summary>
    [JsonConverter(typeof(PackedArrayConverter<long>))]
    public long[] Ids
    {
        get => _ids.Length == _count ? _ids : _ids[.._count];
        set => _ids = value ?? [];
    }

    /// <summary>Minute (since the Unix epoch) each id was received, parallel to <see cref="Ids"/>.</summary>
    [JsonConverter(typeof(PackedArrayConverter<int>))]
    public int[] Minutes
    {
        get => _minutes.Length == _count ? _minutes : _minutes[.._count];
        set => _minutes = value ?? [];
    }

    public int Count
    {
        get => _count;
        set => _count = value;
    }

    /// <summary>
    /// Returns true when <paramref name="eventId"/> was not received within <paramref name="window"/> before
    /// <paramref name="receivedAt"/> (and remembers it), false for a duplicate.
    /// </summary>
    public bool TryAdd(string eventId, DateTimeOffset receivedAt, TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        Normalize();
        var hash = Hash(eventId);
        var minute = ToMinute(receivedAt);
        var cutoff = minute - (long)Math.Ceiling(window.TotalMinutes);
        var ids = _ids.AsSpan(0, _count);
        var start = 0;
        while (true)
        {
            var found = ids[start..].IndexOf(hash);
            if (found < 0)
            {
                break;
            }

            // An expired copy of the same hash (not yet dropped) does not make this a duplicate.
            if (_minutes[start + found] >= cutoff)
            {
                return false;
            }

            start += found + 1;
        }

        if (_count == _ids.Length)
        {
            MakeRoom(cutoff);
        }

        _ids[_count] = hash;
        _minutes[_count] = (int)Math.Clamp(minute, int.MinValue, int.MaxValue);
        _count++;
        return true;
    }

    /// <summary>Stable across processes (unlike string.GetHashCode), so persisted ids stay valid.</summary>
    public static long Hash(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var h = 14695981039346656037UL;
        foreach (var ch in value)
        {
            h = (h ^ ch) * 1099511628211UL;
        }

        return unchecked((long)h);
    }

    private static long ToMinute(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / 60_000;

    /// <summary>A deserialized state may carry a count its arrays do not back (or an older layout): trust the arrays.</summary>
    private void Normalize()
    {
        var valid = Math.Min(_count, Math.Min(_ids.Length, _minutes.Length));
        if (valid < 0)
        {
            valid = 0;
        }

        if (valid != _count || _ids.Length != _minutes.Length)
        {
            var ids = new long[valid];
            var minutes = new int[valid];
            _ids.AsSpan(0, valid).CopyTo(ids);
            _minutes.AsSpan(0, valid).CopyTo(minutes);
            _ids = ids;
            _minutes = minutes;
            _count = valid;
        }
    }

    /// <summary>Drops what fell out of the window; grows (or, at the cap, drops the oldest eighth) if still full.</summary>
    private void MakeRoom(long cutoff)
    {
        var expired = 0;
        while (expired < _count && _minutes[expired] < cutoff)
        {
            expired++;
        }

        if (expired == 0 && _count >= MaxEntries)
        {
            expired = MaxEntries / 8;
        }

        var kept = _count - expired;
        var capacity = _ids.Length;
        if (kept == capacity)
        {
            capacity = Math.Min(MaxEntries, Math.Max(InitialCapacity, capacity * 2));
        }
        else if (kept < capacity / 4)
        {
            capacity = Math.Max(InitialCapacity, capacity / 2);
        }

        var ids = capacity == _ids.Length ? _ids : new long[capacity];
        var minutes = capacity == _minutes.Length ? _minutes : new int[capacity];
        Array.Copy(_ids, expired, ids, 0, kept);
        Array.Copy(_minutes, expired, minutes, 0, kept);
        _ids = ids;
        _minutes = minutes;
        _count = kept;
    }

    /// <summary>
    /// The array's bytes (little-endian, as every platform .NET runs on here) as one base64 string: 16 characters an
    /// id instead of ~20 digits in a JSON array.
    /// </summary>
    private sealed class PackedArrayConverter<T> : JsonConverter<T[]>
        where T : unmanaged
    {
        public override T[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                reader.Skip();
                return [];
            }

            var bytes = reader.GetBytesFromBase64();
            return MemoryMarshal.Cast<byte, T>(bytes.AsSpan(0, bytes.Length - (bytes.Length % Unsafe.SizeOf<T>()))).ToArray();
        }

        public override void Write(Utf8JsonWriter writer, T[] value, JsonSerializerOptions options) =>
            writer.WriteBase64StringValue(MemoryMarshal.AsBytes(value.AsSpan()));
    }
}
