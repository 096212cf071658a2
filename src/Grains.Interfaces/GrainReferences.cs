namespace Cohortly.Contracts;

/// <summary>
/// Grain references for the request path without Orleans' per-call type resolution. <c>GetGrain&lt;T&gt;(key)</c>
/// resolves the interface's grain type by reading its custom attributes and formatting its type name on every call
/// (Orleans 10 caches neither); on the recommendation path that was about 3% of the server's busy time. The types
/// are resolved once per interface, from the first reference Orleans builds, and every later reference is made from
/// its <see cref="GrainId"/> and <see cref="GrainInterfaceType"/> directly. The result is the same reference.
/// </summary>
public static class GrainReferences
{
    /// <summary>The user grain of <paramref name="userId"/>.</summary>
    public static IUserGrain GetUserGrain(this IGrainFactory grains, string userId) => Resolved<IUserGrain>.Get(grains, userId);

    /// <summary>
    /// Keys of the user-serving worker (<see cref="GetUserServingGrain"/>). A client sends every message for one grain id
    /// through the same gateway connection (Orleans buckets messages by target to keep them in order), so one key would
    /// send every read in the cluster through one silo; 64 keys spread them over the gateways as per-user calls were.
    /// </summary>
    public const int UserServingKeys = 64;

    /// <summary>
    /// The user-serving grain (stateless worker) for <paramref name="userId"/>'s recommendations and profile: one of
    /// <see cref="UserServingKeys"/> keys by the id's hash, which only spreads reads (it need not be stable across processes).
    /// </summary>
    public static IUserServingGrain GetUserServingGrain(this IGrainFactory grains, string userId)
    {
        ArgumentNullException.ThrowIfNull(userId);
        return Resolved<IUserServingGrain>.Get(grains, (uint)userId.GetHashCode(StringComparison.Ordinal) % UserServingKeys);
    }

    /// <summary>The item-similarity grain (stateless worker, key 0).</summary>
    public static IItemSimilarityGrain GetItemSimilarityGrain(this IGrainFactory grains) => Resolved<IItemSimilarityGrain>.Get(grains, 0);

    private static class Resolved<TGrain>
        where TGrain : IGrain
    {
        private static Types? _types;

        public static TGrain Get(IGrainFactory grains, string key)
        {
            ArgumentNullException.ThrowIfNull(grains);
            return _types is { } types
                ? (TGrain)grains.GetGrain(GrainId.Create(types.Type, key), types.Interface)
                : Remember((TGrain)grains.GetGrain(typeof(TGrain), key));
        }

        public static TGrain Get(IGrainFactory grains, long key)
        {
            ArgumentNullException.ThrowIfNull(grains);
            return _types is { } types
                ? (TGrain)grains.GetGrain(GrainId.Create(types.Type, GrainIdKeyExtensions.CreateIntegerKey(key)), types.Interface)
                : Remember((TGrain)grains.GetGrain(typeof(TGrain), key));
        }

        private static TGrain Remember(TGrain grain)
        {
            var reference = (GrainReference)(object)grain;
            _types = new Types(reference.GrainId.Type, reference.InterfaceType);
            return grain;
        }
    }

    private sealed record Types(GrainType Type, GrainInterfaceType Interface);
}
