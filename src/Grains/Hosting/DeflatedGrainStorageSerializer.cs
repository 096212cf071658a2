using System.IO.Compression;
using Orleans.Storage;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// The storage serializer of both backends: the same System.Text.Json document, deflated. The embedded memory grain
/// storage keeps a serialized copy of every user's state in the process, and Redis keeps one for every user ever
/// seen, so its size is what a stored user costs: a user with one short session is ~950 bytes of JSON and ~450
/// deflated. Reads take either form: a deflated document starts with a marker byte (0x01) that no JSON text starts
/// with, anything else is read as plain JSON (state written before Redis storage was deflated).
/// </summary>
public sealed class DeflatedGrainStorageSerializer(SystemTextJsonGrainStorageSerializer json) : IGrainStorageSerializer
{
    /// <summary>First byte of a deflated document; never the first byte of a JSON text.</summary>
    private const byte Marker = 0x01;

    public BinaryData Serialize<T>(T? input)
    {
        var document = json.Serialize(input).ToMemory();
        using var buffer = new MemoryStream(document.Length / 2 + 16);
        buffer.WriteByte(Marker);
        using (var deflate = new DeflateStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(document.Span);
        }

        // An exact-size copy: the storage keeps what it is given, and the stream's buffer has slack.
        return new BinaryData(buffer.ToArray());
    }

    public T? Deserialize<T>(BinaryData input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var bytes = input.ToMemory();
        if (bytes.Length == 0 || bytes.Span[0] != Marker)
        {
            return json.Deserialize<T>(input);
        }

        using var deflate = new DeflateStream(new MemoryStream(bytes[1..].ToArray(), writable: false), CompressionMode.Decompress);
        using var document = new MemoryStream(bytes.Length * 3);
        deflate.CopyTo(document);
        return json.Deserialize<T>(new BinaryData(document.GetBuffer().AsMemory(0, (int)document.Length)));
    }
}
