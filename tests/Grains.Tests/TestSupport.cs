using System.Collections.Concurrent;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Services;
using Cohortly.Grains.Training;
using Cohortly.Modeling.Outcomes;
using Cohortly.Streaming.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Cohortly.Grains.Tests;

/// <summary>An in-process cluster running the production silo configuration with fast loops.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    /// <summary><see cref="FastLoops.InProcess"/>: tests decide when to segment.</summary>
    public static IConfiguration Configuration { get; } = FastLoopCluster.Configuration();

    // The recorder is registered after the production services, so it is the one user grains get.
    public async Task InitializeAsync() =>
        Cluster = await FastLoopCluster.Start(Configuration, after: services => services.AddSingleton<IOutcomeRecorder, RecordingOutcomeRecorder>());

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>What the silo's user grains recorded as outcomes.</summary>
    public RecordingOutcomeRecorder Outcomes => (RecordingOutcomeRecorder)SiloService<IOutcomeRecorder>();

    public T SiloService<T>()
        where T : notnull => Cluster.Silos[0].ServiceProvider.GetRequiredService<T>();

    public Task Publish(IEnumerable<InteractionEvent> events) => FastLoopCluster.Publish(Client, events);

    /// <summary>Loads the world's catalog and waits until the silo cache has it.</summary>
    public async Task LoadCatalog(SyntheticWorld world)
    {
        var now = DateTimeOffset.UtcNow;
        long version = 0;
        foreach (var chunk in world.Items.Chunk(1000))
        {
            version = await Client.GetGrain<ICatalogGrain>(ICatalogGrain.Key).Upsert([.. chunk.Select(i => new ItemRecord(i.Id, i.Title, [i.Category], [.. i.Tags], i.Price, true, now))]);
        }

        await Eventually.True(() => Task.FromResult(SiloService<CatalogCache>().Version >= version), "catalog cache loads");
    }
}

/// <summary>A one-silo in-process cluster with the production configuration, fast loops and a test's own settings.</summary>
public static class FastLoopCluster
{
    /// <summary><see cref="FastLoops.InProcess"/> with <paramref name="overrides"/> on top.</summary>
    public static IConfiguration Configuration(IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>(FastLoops.InProcess.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)));
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }

    /// <summary><see cref="FastLoops.InProcess"/> with <paramref name="overrides"/> on top, deployed.</summary>
    public static Task<InProcessTestCluster> Start(IReadOnlyDictionary<string, string?> overrides) => Start(Configuration(overrides));

    /// <summary>
    /// One silo with <paramref name="configuration"/> and a client that publishes on the memory streams, deployed.
    /// <paramref name="before"/> registers what the production registrations must keep (they add only what is
    /// missing); <paramref name="after"/> what must replace theirs.
    /// </summary>
    public static async Task<InProcessTestCluster> Start(IConfiguration configuration, Action<IServiceCollection>? before = null, Action<IServiceCollection>? after = null)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            before?.Invoke(silo.Services);
            silo.AddCohortlyServices(configuration);
            after?.Invoke(silo.Services);
        });
        builder.ConfigureClient(client => client.AddMemoryStreams(StreamNames.Provider, s => s.ConfigureStreamPubSub(Orleans.Streams.StreamPubSubType.ImplicitOnly)));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    /// <summary>Each user's events as one batch on the user's stream.</summary>
    public static Task Publish(IClusterClient client, IEnumerable<InteractionEvent> events)
    {
        var provider = client.GetStreamProvider(StreamNames.Provider);
        return Task.WhenAll(events.GroupBy(e => e.UserId).Select(g =>
            provider.GetStream<InteractionEvent>(StreamId.Create(StreamNames.Interactions, g.Key)).OnNextBatchAsync(g.ToList())));
    }
}

/// <summary>Silos in Redis mode on a test's redis-server, and a client that produces on the Redis streams as the gateway does.</summary>
public static class RedisModeCluster
{
    /// <summary>
    /// The Redis-mode settings such a test starts from: a fresh service id (so tests share no stream, state or log),
    /// segmentation only when a test asks, a 1 s write-behind.
    /// </summary>
    public static Dictionary<string, string?> Settings(string connectionString, string serviceIdPrefix, int partitions) => new()
    {
        ["Cohortly:Cluster"] = "Redis",
        ["Cohortly:ServiceId"] = serviceIdPrefix + Guid.NewGuid().ToString("N")[..8],
        ["Cohortly:Streams:Partitions"] = partitions.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Cohortly:Segmentation:MinUsers"] = "1000000",
        ["Cohortly:Users:WriteBehind"] = "00:00:01",
        ["ConnectionStrings:Redis"] = connectionString,
    };

    /// <summary><paramref name="silos"/> silos with <paramref name="configuration"/>, deployed within <paramref name="deployTimeout"/> (60 s unless given).</summary>
    public static async Task<InProcessTestCluster> Start(IConfiguration configuration, int silos = 1, TimeSpan? deployTimeout = null)
    {
        var options = CohortlyConfiguration.Read(configuration);
        var connection = Cohortly.Grains.Hosting.Redis.RedisConnection.From(configuration);
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.ConfigureSilo((_, silo) => silo.AddCohortlyServices(configuration));
        builder.ConfigureClient(client => client.AddRedisStreams(
            StreamNames.Provider,
            o => Cohortly.Grains.Hosting.Redis.RedisBackend.ConfigureStreams(o, options, connection),
            s => s.ConfigureStreamPubSub(Orleans.Streams.StreamPubSubType.ImplicitOnly)));
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync().WaitAsync(deployTimeout ?? TimeSpan.FromSeconds(60));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }
}

public static class TrainingRuns
{
    /// <summary>Starts a run and waits until it has finished (succeeded or failed).</summary>
    public static async Task<TrainingStatus> RunToEnd(ITrainingGrain training)
    {
        var started = await training.Start();
        TrainingStatus? status = null;
        await Eventually.True(
            async () =>
            {
                status = await training.GetStatus();
                return status.RunId == started.RunId && status.State is TrainingState.Succeeded or TrainingState.Failed;
            },
            "the training run finishes",
            TimeSpan.FromMinutes(3));
        return status!;
    }
}

public static class Events
{
    public static InteractionEvent Of(SyntheticEvent e) =>
        new(e.EventId, e.UserId, e.ItemId, e.Type, e.Value, e.Timestamp, e.Device, DateTimeOffset.UtcNow);
}

/// <summary>
/// Counts the grain calls a silo receives that <paramref name="counts"/> selects, and the distinct grain instances
/// (activations) they reached; registered as the silo's <see cref="IIncomingGrainCallFilter"/>.
/// </summary>
public sealed class CountedCalls(Func<IIncomingGrainCallContext, bool> counts) : IIncomingGrainCallFilter
{
    private readonly HashSet<object> _instances = new(ReferenceEqualityComparer.Instance);
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    /// <summary>Distinct grain instances (activations) a counted call reached.</summary>
    public int Activations
    {
        get
        {
            lock (_instances)
            {
                return _instances.Count;
            }
        }
    }

    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (counts(context))
        {
            Interlocked.Increment(ref _count);
            lock (_instances)
            {
                _instances.Add(context.Grain);
            }
        }

        return context.Invoke();
    }
}

/// <summary>
/// Counts the write attempts a silo's grain storage receives, per state name, by wrapping the storage registered
/// under one name (<see cref="Around"/>, called after the production registrations). Attempts, not successes: a
/// write that the storage then rejects is counted too.
/// </summary>
public sealed class CountedWrites
{
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<GrainId, int> _attemptsByGrain = new();

    /// <summary>Write attempts of state <paramref name="stateName"/> so far, all grains together.</summary>
    public int Of(string stateName) => _attempts.GetValueOrDefault(stateName);

    /// <summary>Write attempts of grain <paramref name="grain"/>'s state so far.</summary>
    public int Of(GrainId grain) => _attemptsByGrain.GetValueOrDefault(grain);

    /// <summary>Wraps the storage registered as <paramref name="storageName"/> so its writes are counted here.</summary>
    public void Around(IServiceCollection services, string storageName)
    {
        var registered = services.Last(d => d.IsKeyedService && d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, storageName));
        var create = registered.KeyedImplementationFactory
            ?? throw new InvalidOperationException($"The grain storage '{storageName}' is not registered by a factory.");
        services.Remove(registered);
        services.AddKeyedSingleton<IGrainStorage>(storageName, (sp, key) => new Counting((IGrainStorage)create(sp, key), this));
    }

    private sealed class Counting(IGrainStorage inner, CountedWrites counts) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
    {
        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
            inner.ReadStateAsync(stateName, grainId, grainState);

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        {
            counts._attempts.AddOrUpdate(stateName, 1, static (_, n) => n + 1);
            counts._attemptsByGrain.AddOrUpdate(grainId, 1, static (_, n) => n + 1);
            return inner.WriteStateAsync(stateName, grainId, grainState);
        }

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
            inner.ClearStateAsync(stateName, grainId, grainState);

        public void Participate(ISiloLifecycle observer) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(observer);
    }
}
