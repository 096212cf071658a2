using System.Runtime.InteropServices;

namespace Cohortly.Modeling.Data;

/// <summary>Little-endian bulk array I/O for model artifacts (one copy, no per-element calls).</summary>
public static class BinaryArrays
{
    public static void Write(BinaryWriter writer, ReadOnlySpan<float> values)
    {
        ArgumentNullException.ThrowIfNull(writer);
        EnsureLittleEndian();
        writer.Write(MemoryMarshal.AsBytes(values));
    }

    public static void Write(BinaryWriter writer, ReadOnlySpan<int> values)
    {
        ArgumentNullException.ThrowIfNull(writer);
        EnsureLittleEndian();
        writer.Write(MemoryMarshal.AsBytes(values));
    }

    public static float[] ReadSingle(BinaryReader reader, int count)
    {
        var result = new float[count];
        ReadExactly(reader, MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    public static int[] ReadInt32(BinaryReader reader, int count)
    {
        var result = new int[count];
        ReadExactly(reader, MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    public static void WriteStrings(BinaryWriter writer, IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(values);
        writer.Write(values.Count);
        foreach (var v in values)
        {
            writer.Write(v);
        }
    }

    public static string[] ReadStrings(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var n = reader.ReadInt32();
        if (n < 0)
        {
            throw new InvalidDataException("negative string count");
        }

        var result = new string[n];
        for (var i = 0; i < n; i++)
        {
            result[i] = reader.ReadString();
        }

        return result;
    }

    private static void ReadExactly(BinaryReader reader, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(reader);
        EnsureLittleEndian();
        while (!destination.IsEmpty)
        {
            var n = reader.Read(destination);
            if (n <= 0)
            {
                throw new EndOfStreamException("model artifact is truncated");
            }

            destination = destination[n..];
        }
    }

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("model artifacts are little-endian");
        }
    }
}
