using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;

namespace Cohortly.Grains.Users;

/// <summary>
/// How idle user grains leave memory (Cohortly:Users:IdleDeactivation). Orleans' activation collector deactivates a
/// grain idle for its type's collection age; <see cref="UserGrain.OnDeactivateAsync"/> then saves what is pending and
/// acknowledges the log entries the save covers (save, then acknowledge: docs/streaming-redis.md). What the stream
/// side holds per user is released before that: the pulling agent drops a stream idle for Cohortly:Streams:Inactivity
/// (validated to be no longer than the idle age) with its cache cursor. What is left of a deactivated user in the silo
/// is its entry in the grain-location cache, which is bounded (Cohortly:Silo:DirectoryCacheSize).
/// </summary>
internal static class UserCollection
{
    public static void Configure(IServiceCollection services, TimeSpan idleAge, int directoryCacheSize)
    {
        // Orleans' default keeps a million locations per silo, evicted only when full: measured, the locations of users
        // called once and long gone were what grew with every user ever seen (bench memory, benchmarks.md).
        services.Configure<GrainDirectoryOptions>(o => o.CacheSize = directoryCacheSize);
        services.Configure<GrainCollectionOptions>(o =>
        {
            // Orleans reads the per-class age by the grain class's full name.
            o.ClassSpecificCollectionAge[typeof(UserGrain).FullName!] = idleAge;
            // The collector looks for idle grains once per quantum (1 min by default) and wants every age above it:
            // a short idle age (tests, the memory bench) needs a shorter quantum, or users would stay up to a minute longer.
            var quantum = idleAge / 2;
            if (quantum < o.CollectionQuantum)
            {
                o.CollectionQuantum = quantum;
            }
        });
    }
}
