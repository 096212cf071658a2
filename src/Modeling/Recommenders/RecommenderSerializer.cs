namespace Cohortly.Modeling.Recommenders;

/// <summary>
/// Versioned binary artifacts: a magic number, the container format version, the model kind, then the model's own
/// payload (which starts with its own version). New kinds (e.g. a cohort model wrapping other models) are added with
/// <see cref="With"/>; nested models are written with <see cref="WriteModel"/> so they carry their kind too.
/// </summary>
public sealed class RecommenderSerializer
{
    public const int ContainerVersion = 1;
    private const int Magic = 0x4D524843; // "CHRM"

    private readonly Dictionary<string, Func<BinaryReader, RecommenderSerializer, IRecommender>> _readers;

    public RecommenderSerializer()
    {
        _readers = new(StringComparer.Ordinal)
        {
            [PopularityRecommender.KindName] = (r, _) => PopularityRecommender.Read(r),
            [ItemKnnRecommender.KindName] = (r, _) => ItemKnnRecommender.Read(r),
            [IalsRecommender.KindName] = (r, _) => IalsRecommender.Read(r),
            [EaseRecommender.KindName] = (r, _) => EaseRecommender.Read(r),
            [ContentRecommender.KindName] = (r, _) => ContentRecommender.Read(r),
            [BlendRecommender.KindName] = BlendRecommender.Read,
            [Cohorts.CohortAwareRecommender.KindName] = Cohorts.CohortAwareRecommender.Read,
            [Ranking.LambdaMartRanker.KindName] = Ranking.LambdaMartRanker.Read,
        };
    }

    private RecommenderSerializer(Dictionary<string, Func<BinaryReader, RecommenderSerializer, IRecommender>> readers)
    {
        _readers = readers;
    }

    /// <summary>Knows the built-in kinds.</summary>
    public static RecommenderSerializer Default { get; } = new();

    public IReadOnlyCollection<string> Kinds => _readers.Keys;

    /// <summary>A serializer that also reads <paramref name="kind"/>; the reader gets this serializer for nested models.</summary>
    public RecommenderSerializer With(string kind, Func<BinaryReader, RecommenderSerializer, IRecommender> reader)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(reader);
        var copy = new Dictionary<string, Func<BinaryReader, RecommenderSerializer, IRecommender>>(_readers, StringComparer.Ordinal)
        {
            [kind] = reader,
        };
        var result = new RecommenderSerializer(copy);
        return result;
    }

    public byte[] Serialize(IRecommender model)
    {
        using var stream = new MemoryStream();
        Serialize(model, stream);
        return stream.ToArray();
    }

    public void Serialize(IRecommender model, Stream stream)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        WriteModel(writer, model);
    }

    public IRecommender Deserialize(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var stream = new MemoryStream(bytes, writable: false);
        return Deserialize(stream);
    }

    public IRecommender Deserialize(Stream stream)
    {
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        return ReadModel(reader);
    }

    public void WriteModel(BinaryWriter writer, IRecommender model)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(model);
        writer.Write(Magic);
        writer.Write(ContainerVersion);
        writer.Write(model.Kind);
        model.Write(writer);
    }

    public IRecommender ReadModel(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.ReadInt32() != Magic)
        {
            throw new InvalidDataException("not a Cohortly model artifact");
        }

        var version = reader.ReadInt32();
        if (version != ContainerVersion)
        {
            throw new InvalidDataException($"model artifact container version {version} is not supported (expected {ContainerVersion})");
        }

        var kind = reader.ReadString();
        if (!_readers.TryGetValue(kind, out var read))
        {
            throw new InvalidDataException($"unknown model kind '{kind}'");
        }

        return read(reader, this);
    }

    public static void ExpectVersion(BinaryReader reader, int expected, string kind)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var v = reader.ReadInt32();
        if (v != expected)
        {
            throw new InvalidDataException($"{kind} model format version {v} is not supported (expected {expected})");
        }
    }
}
