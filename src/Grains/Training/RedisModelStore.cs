using System.Globalization;

namespace Cohortly.Grains.Training;

/// <summary>Cluster-mode artifacts: one Redis string per version (SET is atomic, so loaders never see a partial model).</summary>
public sealed class RedisModelStore(CohortlyRedis redis) : IModelStore
{
    public async Task SaveAsync(long version, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        var db = await redis.DatabaseAsync(cancellationToken);
        await db.StringSetAsync(Key(version), bytes).WaitAsync(cancellationToken);
    }

    public async Task<byte[]?> LoadAsync(long version, CancellationToken cancellationToken)
    {
        var db = await redis.DatabaseAsync(cancellationToken);
        var value = await db.StringGetAsync(Key(version)).WaitAsync(cancellationToken);
        return value.IsNull ? null : (byte[]?)value;
    }

    public async Task DeleteAsync(long version, CancellationToken cancellationToken)
    {
        var db = await redis.DatabaseAsync(cancellationToken);
        await db.KeyDeleteAsync(Key(version)).WaitAsync(cancellationToken);
    }

    private string Key(long version) => redis.Prefix + "model:" + version.ToString(CultureInfo.InvariantCulture);
}
