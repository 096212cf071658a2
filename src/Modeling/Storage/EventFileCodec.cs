using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Cohortly.Modeling.Storage;

/// <summary>What <see cref="EventFileReader.Open"/> found on a line.</summary>
public enum EventLineStatus
{
    /// <summary>A plain JSON line (written before encryption was turned on, or with it off).</summary>
    Plain,

    /// <summary>A sealed line that decrypted and authenticated under one of the configured keys.</summary>
    Decrypted,

    /// <summary>A sealed line under a key id that is not configured (a key removed too early, or a foreign file).</summary>
    UnknownKey,

    /// <summary>A sealed line whose authentication failed: changed, truncated, or sealed under a different key with the same id.</summary>
    Tampered,

    /// <summary>Neither JSON nor a sealed line (a torn write, garbage).</summary>
    Malformed,

    /// <summary>A plain line while plain lines are refused (<see cref="EventFileKeys.AcceptPlain"/> false).</summary>
    PlainRefused,
}

/// <summary>
/// The keys of the embedded data directory's line files. <see cref="ActiveKeyId"/> seals new lines (none: lines are
/// written plain); every key in <see cref="Keys"/> opens lines, so a rotated-out key stays listed until no file sealed
/// under it remains. Keys are 32 bytes (AES-256).
/// </summary>
public sealed record EventFileKeys(string? ActiveKeyId, IReadOnlyDictionary<string, byte[]> Keys, bool AcceptPlain = true)
{
    public const int KeyBytes = 32;
    public const int MaxKeyIdLength = 32;

    /// <summary>No keys: lines are written and read as plain JSON.</summary>
    public static EventFileKeys None { get; } = new(null, new Dictionary<string, byte[]>(StringComparer.Ordinal));

    /// <summary>Key ids are written into every sealed line between separators: letters, digits, '-' and '_' only.</summary>
    public static bool IsValidKeyId(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxKeyIdLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// Seals and opens single lines of the embedded log files with authenticated encryption (AES-256-GCM), so every line
/// stays an independent record: appends need no file header, a torn or tampered line costs only itself, and plain
/// JSON lines written before encryption was turned on remain readable next to sealed ones.
/// <para>
/// A sealed line is <c>~1:&lt;key id&gt;:&lt;base64(salt ‖ nonce ‖ tag ‖ ciphertext)&gt;</c>. The key id says which
/// configured key opens it (rotation: new lines use the active key, old lines name theirs). The line is not encrypted
/// under the configured key itself but under a subkey derived with HKDF-SHA256 from it and a random 16-byte salt
/// that the codec renews every <see cref="MaxLinesPerSubkey"/> lines and at every start: GCM with random 96-bit
/// nonces is only safe for about 2³² messages per key (NIST SP 800-38D, 8.3), which a busy log passes in days, and
/// a fresh subkey resets that count without asking operators to rotate. The prefix up to the payload is the
/// associated data, so a line cannot be relabelled with another key id or version.
/// </para>
/// Nonces and salts come from <see cref="RandomNumberGenerator"/>, not a seeded <see cref="Random"/>: a repeated
/// nonce under one key reveals plaintext XORs and the authentication key, so they must be unpredictable and unique.
/// </summary>
public sealed class EventFileCodec : IDisposable
{
    /// <summary>Lines sealed under one subkey: a nonce collision among 2²⁴ random 96-bit nonces has probability below 2⁻⁴⁸.</summary>
    public const int MaxLinesPerSubkey = 1 << 24;

    internal const int SaltBytes = 16;
    internal const int NonceBytes = 12;
    internal const int TagBytes = 16;
    internal const int HeaderBytes = SaltBytes + NonceBytes + TagBytes;
    private const string Marker = "~1:";
    private static readonly byte[] Info = "cohortly event file line v1"u8.ToArray();

    private readonly Lock _gate = new();
    private readonly EventFileKeys _keys;
    private readonly byte[]? _prefix;
    private byte[]? _salt;
    private AesGcm? _subkey;
    private int _uses;

    public EventFileCodec(EventFileKeys keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var (id, key) in keys.Keys)
        {
            if (!EventFileKeys.IsValidKeyId(id))
            {
                throw new ArgumentException($"Key id '{id}' must be 1–{EventFileKeys.MaxKeyIdLength} letters, digits, '-' or '_'.", nameof(keys));
            }

            if (key is null || key.Length != EventFileKeys.KeyBytes)
            {
                throw new ArgumentException($"Key '{id}' must be {EventFileKeys.KeyBytes} bytes.", nameof(keys));
            }
        }

        if (keys.ActiveKeyId is { } active)
        {
            if (!keys.Keys.ContainsKey(active))
            {
                throw new ArgumentException($"The active key '{active}' is not among the keys.", nameof(keys));
            }

            _prefix = Encoding.ASCII.GetBytes(Marker + active + ":");
        }

        _keys = keys;
    }

    /// <summary>Writes and reads plain JSON lines; sealed lines cannot be opened.</summary>
    public static EventFileCodec Plain { get; } = new(EventFileKeys.None);

    /// <summary>Whether new lines are sealed.</summary>
    public bool Seals => _prefix is not null;

    public string? ActiveKeyId => _keys.ActiveKeyId;

    /// <summary>
    /// Appends the line for <paramref name="json"/> (one JSON value without a newline) to <paramref name="output"/>,
    /// sealed under the active key if there is one, else as is. No newline is written. Thread-safe.
    /// </summary>
    public void Encode(ReadOnlySpan<byte> json, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (_prefix is null)
        {
            output.Write(json);
            return;
        }

        var sealedLength = HeaderBytes + json.Length;
        var raw = ArrayPool<byte>.Shared.Rent(sealedLength);
        try
        {
            var payload = raw.AsSpan(0, sealedLength);
            var salt = payload[..SaltBytes];
            var nonce = payload.Slice(SaltBytes, NonceBytes);
            var tag = payload.Slice(SaltBytes + NonceBytes, TagBytes);
            var cipher = payload[HeaderBytes..];
            lock (_gate)
            {
                if (_subkey is null || _uses >= MaxLinesPerSubkey)
                {
                    _subkey?.Dispose();
                    _salt = RandomNumberGenerator.GetBytes(SaltBytes);
                    _subkey = new AesGcm(Derive(_keys.Keys[_keys.ActiveKeyId!], _salt), TagBytes);
                    _uses = 0;
                }

                _uses++;
                _salt.CopyTo(salt);
                RandomNumberGenerator.Fill(nonce);
                _subkey.Encrypt(nonce, json, cipher, tag, _prefix);
            }

            output.Write(_prefix);
            var encoded = output.GetSpan(Base64.GetMaxEncodedToUtf8Length(sealedLength));
            Base64.EncodeToUtf8(payload, encoded, out _, out var written);
            output.Advance(written);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    /// <summary>The line for <paramref name="json"/> followed by a newline.</summary>
    public byte[] EncodeLine(ReadOnlySpan<byte> json)
    {
        var buffer = new ArrayBufferWriter<byte>(_prefix is null ? json.Length + 1 : ((json.Length + HeaderBytes) * 4 / 3) + 64);
        Encode(json, buffer);
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A reader for one pass over lines (not thread-safe; it caches the last subkey it derived).</summary>
    public EventFileReader CreateReader() => new(_keys);

    public void Dispose()
    {
        lock (_gate)
        {
            _subkey?.Dispose();
            _subkey = null;
        }
    }

    internal static bool IsSealed(ReadOnlySpan<char> line) => line.StartsWith(Marker, StringComparison.Ordinal);

    internal static byte[] Derive(byte[] key, byte[] salt) => HKDF.DeriveKey(HashAlgorithmName.SHA256, key, EventFileKeys.KeyBytes, salt, Info);

    internal static int MarkerLength => Marker.Length;
}

/// <summary>Opens lines written by <see cref="EventFileCodec"/>; one per read pass, not thread-safe.</summary>
public sealed class EventFileReader : IDisposable
{
    private readonly EventFileKeys _keys;
    private byte[] _buffer = new byte[1024];
    private byte[] _prefix = new byte[64];
    private string? _keyId;
    private byte[]? _salt;
    private AesGcm? _subkey;

    internal EventFileReader(EventFileKeys keys) => _keys = keys;

    /// <summary>
    /// The UTF-8 JSON of <paramref name="line"/> in <paramref name="json"/> when the status is
    /// <see cref="EventLineStatus.Plain"/> or <see cref="EventLineStatus.Decrypted"/>; valid until the next call.
    /// Never throws for bad content: every other status means "skip this line and count it".
    /// </summary>
    public EventLineStatus Open(ReadOnlySpan<char> line, out ReadOnlyMemory<byte> json)
    {
        json = default;
        if (!EventFileCodec.IsSealed(line))
        {
            if (line.IsEmpty || line[0] != '{')
            {
                return EventLineStatus.Malformed;
            }

            if (!_keys.AcceptPlain)
            {
                return EventLineStatus.PlainRefused;
            }

            var length = Encoding.UTF8.GetByteCount(line);
            Grow(ref _buffer, length);
            var n = Encoding.UTF8.GetBytes(line, _buffer);
            json = _buffer.AsMemory(0, n);
            return EventLineStatus.Plain;
        }

        var rest = line[EventFileCodec.MarkerLength..];
        var separator = rest.IndexOf(':');
        if (separator <= 0)
        {
            return EventLineStatus.Malformed;
        }

        var keyId = rest[..separator];
        var encoded = rest[(separator + 1)..];
        var prefixLength = EventFileCodec.MarkerLength + separator + 1;
        if (!_keys.Keys.TryGetValue(keyId.ToString(), out var key))
        {
            return EventFileKeys.IsValidKeyId(keyId.ToString()) ? EventLineStatus.UnknownKey : EventLineStatus.Malformed;
        }

        Grow(ref _buffer, (encoded.Length * 3 / 4) + 3);
        if (!Convert.TryFromBase64Chars(encoded, _buffer, out var rawLength) || rawLength < EventFileCodec.HeaderBytes)
        {
            return EventLineStatus.Malformed;
        }

        var raw = _buffer.AsSpan(0, rawLength);
        var salt = raw[..EventFileCodec.SaltBytes];
        var subkey = Subkey(keyId, key, salt);
        Grow(ref _prefix, prefixLength);
        var prefix = _prefix.AsSpan(0, prefixLength);
        Encoding.ASCII.GetBytes(line[..prefixLength], prefix);

        // Decrypted in place: GCM allows the plaintext to overlap the ciphertext exactly.
        var cipher = raw[EventFileCodec.HeaderBytes..];
        try
        {
            subkey.Decrypt(
                raw.Slice(EventFileCodec.SaltBytes, EventFileCodec.NonceBytes),
                cipher,
                raw.Slice(EventFileCodec.SaltBytes + EventFileCodec.NonceBytes, EventFileCodec.TagBytes),
                cipher,
                prefix);
        }
        catch (AuthenticationTagMismatchException)
        {
            return EventLineStatus.Tampered;
        }

        json = _buffer.AsMemory(EventFileCodec.HeaderBytes, cipher.Length);
        return EventLineStatus.Decrypted;
    }

    public void Dispose()
    {
        _subkey?.Dispose();
        _subkey = null;
    }

    private AesGcm Subkey(ReadOnlySpan<char> keyId, byte[] key, ReadOnlySpan<byte> salt)
    {
        if (_subkey is null || !keyId.SequenceEqual(_keyId) || !salt.SequenceEqual(_salt))
        {
            _subkey?.Dispose();
            _keyId = keyId.ToString();
            _salt = salt.ToArray();
            _subkey = new AesGcm(EventFileCodec.Derive(key, _salt), EventFileCodec.TagBytes);
        }

        return _subkey;
    }

    private static void Grow(ref byte[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new byte[Math.Max(length, buffer.Length * 2)];
        }
    }
}
