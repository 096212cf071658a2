namespace Cohortly.Grains.Training;

/// <summary>Model artifacts by version (the bytes of <c>ModelBundle.ToBytes</c>).</summary>
public interface IModelStore
{
    /// <summary>Stores the bytes; readers never see a partly written version.</summary>
    Task SaveAsync(long version, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken);

    /// <summary>The bytes, or null when the version is not stored.</summary>
    Task<byte[]?> LoadAsync(long version, CancellationToken cancellationToken);

    Task DeleteAsync(long version, CancellationToken cancellationToken);
}
