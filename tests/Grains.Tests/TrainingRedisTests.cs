using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Training;
using Cohortly.Modeling.Events;
using Cohortly.Streaming.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Streams;
using Orleans.TestingHost;
using StackExchange.Redis;

namespace Cohortly.Grains.Tests;

/// <summary>A throw-away redis-server (no persistence) on a free loopback port.</summary>
public sealed class TrainingRedis : IAsyncLifetime
{
    private RedisServer? _server;

    public string ConnectionString { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        _server = await RedisServer.StartAsync();
        ConnectionString = $"{_server.ConnectionString},abortConnect=false";
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

public sealed class TrainingRedisTests(TrainingRedis redis) : IClassFixture<TrainingRedis>
{
    private static readonly IOptions<CohortlyOptions> Options = Microsoft.Extensions.Options.Options.Create(new CohortlyOptions { Cluster = "Redis", ServiceId = "training-tests" });

    [Fact]
    public async Task Redis_model_store_saves_loads_and_deletes_versions()
    {
        await using var connection = new CohortlyRedis(redis.ConnectionString, Options);
        var store = new RedisModelStore(connection);
        var bytes = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();

        await store.SaveAsync(3, bytes, CancellationToken.None);
        Assert.Equal(bytes, await store.LoadAsync(3, CancellationToken.None));
        Assert.Null(await store.LoadAsync(4, CancellationToken.None));

        await store.DeleteAsync(3, CancellationToken.None);
        Assert.Null(await store.LoadAsync(3, CancellationToken.None));
    }

    [Fact]
    public async Task Redis_log_keeps_the_latest_attributes_per_user_and_reads_events_from_the_streams()
    {
        await using var connection = new CohortlyRedis(redis.ConnectionString, Options);
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var services = new ServiceCollection();
        services.AddSerializer();
        services.AddKeyedSingleton(StreamNames.Provider, (sp, _) => new RedisStreamEventLogReader(
            StreamNames.Provider,
            new RedisStreamOptions { KeyPrefix = "training-tests:stream", PartitionCount = 2 },
            multiplexer,
            sp.GetRequiredService<Serializer>()));
        await using var provider = services.BuildServiceProvider();
        var log = new RedisInteractionLog(connection, provider);

        // Events are already in the streams in cluster mode: appending is a no-op and must not fail.
        await log.AppendAsync([new InteractionEvent("e1", "u1", "i1", InteractionType.View, null, DateTimeOffset.UtcNow, null, DateTimeOffset.UtcNow)], CancellationToken.None);
        await log.AppendAttributesAsync("u1", new Dictionary<string, string> { ["country"] = "de" }, CancellationToken.None);
        await log.AppendAttributesAsync("u2", new Dictionary<string, string> { ["country"] = "it" }, CancellationToken.None);
        await log.AppendAttributesAsync("u1", new Dictionary<string, string> { ["country"] = "fr", ["age"] = "18-24" }, CancellationToken.None);

        var read = await log.ReadAsync(DateTimeOffset.UtcNow.AddDays(-1), CancellationToken.None);

        Assert.Empty(read.Events);
        Assert.Equal([("u1", "fr"), ("u2", "it")], read.Attributes.Select(a => (a.UserId, a.Attributes["country"])));
        Assert.Equal("18-24", read.Attributes[0].Attributes["age"]);
    }

    [Fact]
    public async Task Events_published_through_the_redis_stream_provider_read_back_as_deduplicated_interactions_filtered_by_receipt_time()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var settings = RedisModeCluster.Settings(redis.ConnectionString, "tr-log-", partitions: 4);
        var serviceId = settings["Cohortly:ServiceId"]!;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        await using var cluster = await RedisModeCluster.Start(configuration);
        var streams = cluster.Client.GetStreamProvider(StreamNames.Provider);
        var log = cluster.Silos[0].ServiceProvider.GetRequiredService<IInteractionLog>();
        Assert.IsType<RedisInteractionLog>(log);
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var server = multiplexer.GetServer(multiplexer.GetEndPoints()[0]);

        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 25, Items = 60, Categories = 8, UserPrefix = serviceId + "-u" }, seed: 5);
        var received = DateTimeOffset.UtcNow;
        var first = world.History(received.AddMinutes(-1), days: 3, new Random(3))
            .Select(e => new InteractionEvent(e.EventId, e.UserId, e.ItemId, e.Type, e.Value, e.Timestamp, e.Device, received))
            .ToList();
        Assert.Contains(first, e => e.Value is not null);
        Assert.True(first.Select(e => e.Device).Distinct().Count() > 1, "the world should use more than one device");
        await Publish(streams, first);
        // A producer retry publishes some events again under the same ids: training must count them once.
        await Publish(streams, first.Where((_, i) => i % 7 == 0).ToList());

        var all = await log.ReadAsync(received.AddDays(-1), timeout.Token);

        Assert.Equal(first.Count, all.Events.Count);
        Assert.Equal(
            first.Select(e => e.ToInteraction()).OrderBy(Key, StringComparer.Ordinal),
            all.Events.OrderBy(Key, StringComparer.Ordinal));
        // One user is one stream partition, so each user's events come back in the order they were published.
        foreach (var user in world.Users)
        {
            // Every event of a user carries one id instance (the read's IdPool), not a parsed copy per event.
            var ofUser = all.Events.Where(e => e.UserId == user.Id).ToList();
            Assert.All(ofUser, e => Assert.Same(ofUser[0].UserId, e.UserId));

            Assert.Equal(
                first.Where(e => e.UserId == user.Id).Select(e => e.ToInteraction()),
                all.Events.Where(e => e.UserId == user.Id));
        }

        // `since` is the time Redis accepted an entry: take a cut on the server clock, let it pass, publish more.
        var cut = (await server.TimeAsync()).AddMilliseconds(1);
        await Eventually.True(async () => await server.TimeAsync() > cut, "the redis clock passes the cut", TimeSpan.FromSeconds(5));
        var later = new List<InteractionEvent>
        {
            new("late-1", world.Users[0].Id, world.Items[1].Id, InteractionType.Purchase, 19.5, received.AddSeconds(1), "tablet", received),
            new("late-2", world.Users[1].Id, world.Items[2].Id, InteractionType.Rating, 4, received.AddSeconds(2), null, received),
            // Reuses an id from before the cut: the newer copy is the only one inside the window.
            first[0],
        };
        await Publish(streams, later);

        var recent = await log.ReadAsync(new DateTimeOffset(cut, TimeSpan.Zero), timeout.Token);
        Assert.Equal(later.Select(e => e.ToInteraction()).OrderBy(Key, StringComparer.Ordinal), recent.Events.OrderBy(Key, StringComparer.Ordinal));
        Assert.Equal(first.Count + 2, (await log.ReadAsync(received.AddDays(-1), timeout.Token)).Events.Count);

        // Attributes go to the same Redis from any process and come back with the log, verbatim.
        var attributes = new Dictionary<string, string> { ["country"] = "Österreich", ["segment"] = "a \"quoted\" value", ["empty"] = string.Empty };
        await log.AppendAttributesAsync(world.Users[3].Id, attributes, timeout.Token);
        var read = Assert.Single((await log.ReadAsync(received, timeout.Token)).Attributes);
        Assert.Equal(world.Users[3].Id, read.UserId);
        Assert.Equal(attributes.OrderBy(a => a.Key), read.Attributes.OrderBy(a => a.Key));

        static string Key(Interaction e) => string.Join('|', e.UserId, e.TimestampMs, e.ItemId, e.Type, e.Value, e.Device);
    }

    private static async Task Publish(IStreamProvider streams, IReadOnlyList<InteractionEvent> events) =>
        await Task.WhenAll(events.GroupBy(e => e.UserId).Select(g =>
            streams.GetStream<InteractionEvent>(StreamId.Create(StreamNames.Interactions, g.Key)).OnNextBatchAsync(g.ToList())))
            .WaitAsync(TimeSpan.FromSeconds(30));
}
