using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Services;
using Cohortly.Modeling.Outcomes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Cohortly.Grains.Tests;

/// <summary>An in-process cluster running the production silo configuration with fast loops.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    /// <summary><see cref="FastLoops.InProcess"/>: tests decide when to segment.</summary>
    public static IConfiguration Configuration { get; } = new ConfigurationBuilder()
        .AddInMemoryCollection(FastLoops.InProcess.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)))
        .Build();

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddCohortlyServices(Configuration);
            // Registered last, so it is the recorder user grains get whatever the silo registers.
            silo.Services.AddSingleton<IOutcomeRecorder, RecordingOutcomeRecorder>();
        });
        builder.ConfigureClient(client => client.AddMemoryStreams(StreamNames.Provider, s => s.ConfigureStreamPubSub(Orleans.Streams.StreamPubSubType.ImplicitOnly)));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

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
    /// <summary><see cref="FastLoops.InProcess"/> with <paramref name="overrides"/> on top, deployed.</summary>
    public static async Task<InProcessTestCluster> Start(IReadOnlyDictionary<string, string?> overrides)
    {
        var settings = new Dictionary<string, string?>(FastLoops.InProcess.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)));
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo.AddCohortlyServices(configuration));
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

public static class Events
{
    public static InteractionEvent Of(SyntheticEvent e) =>
        new(e.EventId, e.UserId, e.ItemId, e.Type, e.Value, e.Timestamp, e.Device, DateTimeOffset.UtcNow);
}
