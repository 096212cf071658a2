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

    /// <summary>The user-serving grain (stateless worker, key 0): a user's recommendations and profile.</summary>
    public static IUserServingGrain GetUserServingGrain(this IGrainFactory grains) => Resolved<IUserServingGrain>.Get(grains, 0);

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
