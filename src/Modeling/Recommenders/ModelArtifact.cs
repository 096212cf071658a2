using Cohortly.Modeling.Data;

namespace Cohortly.Modeling.Recommenders;

/// <summary>
/// A fitted model together with the external ids its indices stand for, so a silo that loads the bytes can map
/// request ids to indices and scores back to item ids.
/// </summary>
public sealed record ModelArtifact(IRecommender Model, IReadOnlyList<string> ItemIds, IReadOnlyList<string> UserIds)
{
    private const int Magic = 0x41524843; // "CHRA"
    private const int Version = 1;

    public static ModelArtifact From(IRecommender model, DatasetCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new ModelArtifact(model, catalog.Items.Ids, catalog.Users.Ids);
    }

    public byte[] ToBytes(RecommenderSerializer? serializer = null)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(Version);
            BinaryArrays.WriteStrings(writer, ItemIds);
            BinaryArrays.WriteStrings(writer, UserIds);
            (serializer ?? RecommenderSerializer.Default).WriteModel(writer, Model);
        }

        return stream.ToArray();
    }

    public static ModelArtifact FromBytes(byte[] bytes, RecommenderSerializer? serializer = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var stream = new MemoryStream(bytes, writable: false);
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8);
        if (reader.ReadInt32() != Magic)
        {
            throw new InvalidDataException("not a Cohortly model artifact bundle");
        }

        RecommenderSerializer.ExpectVersion(reader, Version, "artifact bundle");
        var items = BinaryArrays.ReadStrings(reader);
        var users = BinaryArrays.ReadStrings(reader);
        var model = (serializer ?? RecommenderSerializer.Default).ReadModel(reader);
        if (model.ItemCount != items.Length)
        {
            throw new InvalidDataException($"model scores {model.ItemCount} items but the bundle names {items.Length}");
        }

        return new ModelArtifact(model, items, users);
    }
}
