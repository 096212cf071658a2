using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Training;
using Cohortly.Modeling.Training;
using Cohortly.Streaming.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;
using Orleans.TestingHost;
using StackExchange.Redis;

namespace Cohortly.Grains.Tests;

/// <summary>Erasure, consent and retention in cluster mode: a silo on a real redis-server, whose streams are the log.</summary>
public sealed class PrivacyRedisTests(TrainingRedis redis) : IClassFixture<TrainingRedis>
{
    [Fact]
    public async Task Erasure_deletes_the_users_stream_entries_and_nothing_replays_them_and_retention_trims_by_time()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await using var cluster = await StartCluster("priv-");
        var streams = cluster.Client.GetStreamProvider(StreamNames.Provider);
        var services = cluster.Silos[0].ServiceProvider;
        var log = services.GetRequiredService<IInteractionLog>();
        var userLog = services.GetRequiredService<IUserDataLog>();
        var checkpoint = services.GetRequiredKeyedService<RedisStreamCheckpoint>(StreamNames.Provider);
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var server = multiplexer.GetServer(multiplexer.GetEndPoints()[0]);
        var victim = cluster.Client.GetGrain<IUserGrain>("victim");
        var now = DateTimeOffset.UtcNow;
        InteractionEvent Event(string id, string user) => new(id, user, "item-" + id, InteractionType.View, null, now, "mobile", now);

        // Two entries for the victim (two batches), one for another user.
        await Publish(streams, "victim", [Event("v1", "victim"), Event("v2", "victim"), Event("v3", "victim")]);
        await Publish(streams, "victim", [Event("v4", "victim"), Event("v5", "victim")]);
        await Publish(streams, "other", [Event("o1", "other"), Event("o2", "other"), Event("o3", "other")]);
        await Eventually.True(async () => (await victim.GetProfile())?.Counts.Values.Sum() == 5, "the victim's grain applied their five events");
        await victim.SetAttributes(new Dictionary<string, string> { ["country"] = "de" });
        var before = await victim.Export();
        Assert.Equal(["v1", "v2", "v3", "v4", "v5"], before.LoggedEvents.Select(e => e.EventId));
        Assert.Equal("de", before.LoggedAttributes!["country"]);

        var erased = await victim.Erase();

        Assert.Equal(5, erased.LogEvents);
        Assert.Equal(5, erased.ProfileEvents);
        Assert.Equal(1, erased.LogAttributeRecords);
        Assert.Null(await victim.GetProfile());
        var stream = StreamId.Create(StreamNames.Interactions, "victim");
        Assert.Null(await checkpoint.HeadAsync(stream, timeout.Token));
        var read = await log.ReadAsync(DateTimeOffset.MinValue, timeout.Token);
        Assert.DoesNotContain(read.Events, e => e.UserId == "victim");
        Assert.Equal(3, read.Events.Count(e => e.UserId == "other"));
        Assert.DoesNotContain(read.Attributes, a => a.UserId == "victim");
        Assert.Empty((await userLog.ReadUserAsync("victim", timeout.Token)).Events);

        // Recovery and a new activation find nothing to rebuild: the tombstone is saved and the chain is gone.
        await victim.CatchUpFromLog();
        Assert.Null(await victim.GetProfile());
        await cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        Assert.Null(await victim.GetProfile());
        Assert.NotNull((await victim.Export()).ErasedAt);

        // An event arriving later is a new user: a new chain, one event.
        await Publish(streams, "victim", [Event("v6", "victim")]);
        await Eventually.True(async () => (await victim.GetProfile())?.Counts.Values.Sum() == 1, "the later event starts a new user");
        Assert.Equal(["v6"], (await userLog.ReadUserAsync("victim", timeout.Token)).Events.Select(e => e.EventId));
        Assert.Equal(1, (await victim.Erase()).LogEvents);
        var repeat = await victim.Erase();
        Assert.False(repeat.Removed);

        // Retention: everything Redis accepted before the cut goes, later entries and their chains stay.
        var cut = (await server.TimeAsync()).AddMilliseconds(1);
        await Eventually.True(async () => await server.TimeAsync() > cut, "the redis clock passes the cut", TimeSpan.FromSeconds(5));
        await Publish(streams, "late", [Event("l1", "late")]);
        Assert.Equal(0, await userLog.ApplyRetentionAsync(timeout.Token)); // all younger than Streams:Retention

        var trimmed = await checkpoint.TrimBeforeAsync(new DateTimeOffset(cut, TimeSpan.Zero), timeout.Token);

        Assert.True(trimmed >= 1, $"trimmed {trimmed}");
        var kept = await log.ReadAsync(DateTimeOffset.MinValue, timeout.Token);
        Assert.Equal(["l1"], kept.Events.Select(e => e.ItemId[5..]));
        Assert.Null(await checkpoint.HeadAsync(StreamId.Create(StreamNames.Interactions, "other"), timeout.Token));
        Assert.NotNull(await checkpoint.HeadAsync(StreamId.Create(StreamNames.Interactions, "late"), timeout.Token));
    }

    [Fact]
    public async Task A_withheld_user_builds_no_profile_and_training_reads_none_of_their_events_until_consent_returns()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await using var cluster = await StartCluster("priv-c-");
        var streams = cluster.Client.GetStreamProvider(StreamNames.Provider);
        var log = cluster.Silos[0].ServiceProvider.GetRequiredService<IInteractionLog>();
        var user = cluster.Client.GetGrain<IUserGrain>("shy");
        var now = DateTimeOffset.UtcNow;
        InteractionEvent Event(string id) => new(id, "shy", "item-" + id, InteractionType.View, null, now, "mobile", now);

        await Publish(streams, "shy", [Event("s1"), Event("s2")]);
        await Eventually.True(async () => (await user.GetProfile())?.Counts.Values.Sum() == 2, "the profile holds two events");

        var withheld = await user.SetConsent(false);

        Assert.Equal(2, withheld.LogEventsRemoved);
        Assert.Null(await user.GetProfile());
        await Publish(streams, "shy", [Event("s3")]);
        await Eventually.True(async () => (await user.Export()).LoggedEvents.Count == 1, "the new event is in the stream");
        Assert.Null(await user.GetProfile());
        Assert.True((await user.Recommend(new RecommendationRequest(5))).NonPersonalized);
        Assert.DoesNotContain((await log.ReadAsync(DateTimeOffset.MinValue, timeout.Token)).Events, e => e.UserId == "shy");

        // Restoring consent removes what the stream kept meanwhile: training never sees the withheld time.
        Assert.Equal(1, (await user.SetConsent(true)).LogEventsRemoved);
        Assert.DoesNotContain((await log.ReadAsync(DateTimeOffset.MinValue, timeout.Token)).Events, e => e.UserId == "shy");
        await Publish(streams, "shy", [Event("s4")]);
        await Eventually.True(async () => (await user.GetProfile())?.Counts.Values.Sum() == 1, "after consent the next event starts a profile");
    }

    [Fact]
    public async Task Erased_user_is_absent_from_the_next_training_and_the_segmentation_sample_and_nothing_rebuilds_them()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await using var cluster = await StartCluster("priv-t-", FastLoops.InProcess.Concat(new Dictionary<string, string>
        {
            ["Cohortly:Segmentation:K"] = "3",
            ["Cohortly:Training:ModelPoll"] = "00:00:00.100",
            ["Cohortly:Training:Factors"] = "16",
            ["Cohortly:Training:IalsIterations"] = "5",
        }));
        var services = cluster.Silos[0].ServiceProvider;
        Assert.IsType<RedisInteractionLog>(services.GetRequiredService<IInteractionLog>());
        Assert.IsType<RedactingLoggerFactory>(services.GetRequiredService<ILoggerFactory>());
        var streams = cluster.Client.GetStreamProvider(StreamNames.Provider);
        var segmentation = cluster.Client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key);
        var training = cluster.Client.GetGrain<ITrainingGrain>(ITrainingGrain.Key);
        var store = services.GetRequiredService<IModelStore>();
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 80, Items = 120, Categories = 6, UserPrefix = "priv-t-" }, seed: 31);
        var now = DateTimeOffset.UtcNow;
        var history = world.History(now.AddMinutes(-1), days: 10, new Random(4))
            .Select(e => new InteractionEvent(e.EventId, e.UserId, e.ItemId, e.Type, e.Value, e.Timestamp, e.Device, now))
            .ToList();
        await cluster.Client.GetGrain<ICatalogGrain>(ICatalogGrain.Key).Upsert([.. world.Items.Select(i => new ItemRecord(i.Id, i.Title, [i.Category], [.. i.Tags], i.Price, true, now))]);
        await Task.WhenAll(history.GroupBy(e => e.UserId).Select(g => Publish(streams, g.Key, [.. g])));
        var victim = history.GroupBy(e => e.UserId).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
        var other = world.Users.First(u => u.Id != victim).Id;
        var victimEvents = history.Count(e => e.UserId == victim);
        var user = cluster.Client.GetGrain<IUserGrain>(victim);
        await Eventually.True(async () => (await user.GetProfile())?.Counts.Values.Sum() == victimEvents, "the victim's grain applied all their events");
        await Eventually.True(async () => (await segmentation.GetSample()).UserIds.Contains(victim), "the silo pushed a sample with the victim's features");

        var first = await TrainToEnd(training);
        var trained = ModelBundle.FromBytes((await store.LoadAsync(first.LastVersion, timeout.Token))!);
        Assert.NotNull(trained.UserIndex(victim));
        await Eventually.True(() => Task.FromResult(services.GetRequiredService<ModelCache>().Current?.Version == first.LastVersion), "the silo loaded the trained version");

        var erased = await user.Erase();

        Assert.Equal(victimEvents, erased.LogEvents);
        Assert.True(erased.ModelRowIgnored);
        // At once, not at the silo's next push: the segmentation grain dropped the kept row.
        Assert.DoesNotContain(victim, (await segmentation.GetSample()).UserIds);
        Assert.DoesNotContain((await services.GetRequiredService<IInteractionLog>().ReadAsync(DateTimeOffset.MinValue, timeout.Token)).Events, e => e.UserId == victim);

        var second = await TrainToEnd(training);

        Assert.True(second.LastVersion > first.LastVersion);
        var retrained = ModelBundle.FromBytes((await store.LoadAsync(second.LastVersion, timeout.Token))!);
        Assert.Null(retrained.UserIndex(victim));
        Assert.Null(retrained.TrainedCohortOf(victim));
        Assert.NotNull(retrained.UserIndex(other));

        // Nothing rebuilds them: stream recovery from the log, a new activation, the silo's next sample push.
        await user.CatchUpFromLog();
        Assert.Null(await user.GetProfile());
        await cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        Assert.Null(await user.GetProfile());
        await Eventually.True(() => Task.FromResult(services.GetRequiredService<ModelCache>().Current?.Version == second.LastVersion), "the silo loaded the retrained version");
        var export = await user.Export();
        Assert.Empty(export.LoggedEvents);
        Assert.Null(export.LoggedAttributes);
        Assert.False(export.ModelRow!.Present);
        Assert.NotNull(export.ErasedAt);
        // A silo the user was active on before keeps a feature row of them: the next push makes it forget it.
        var activity = services.GetRequiredService<Cohortly.Grains.Services.ActivityAggregator>();
        activity.RecordFeatures(victim, new float[Cohortly.Modeling.Features.ProfileFeatures.Count], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var late = "priv-t-late";
        await Publish(streams, late, [new InteractionEvent("late-1", late, world.Items[0].Id, InteractionType.View, null, DateTimeOffset.UtcNow, "mobile", DateTimeOffset.UtcNow)]);
        await Eventually.True(async () => (await segmentation.GetSample()).UserIds.Contains(late), "a sample pushed after the erasure arrived");
        Assert.DoesNotContain(victim, (await segmentation.GetSample()).UserIds);
        Assert.DoesNotContain(victim, activity.Sample("probe").UserIds);
    }

    private static async Task<TrainingStatus> TrainToEnd(ITrainingGrain training)
    {
        var status = await TrainingRuns.RunToEnd(training);
        Assert.True(status.State == TrainingState.Succeeded, $"training failed: {status.Error}");
        return status;
    }

    /// <summary>One silo on the fixture's redis-server, a fresh service id (so tests share no stream), its log the streams.</summary>
    private Task<InProcessTestCluster> StartCluster(string prefix, IEnumerable<KeyValuePair<string, string>>? settings = null)
    {
        var values = RedisModeCluster.Settings(redis.ConnectionString, prefix, partitions: 2);
        foreach (var (key, value) in settings ?? [])
        {
            values[key] = value;
        }

        return RedisModeCluster.Start(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
    }

    private static async Task Publish(IStreamProvider streams, string user, List<InteractionEvent> events) =>
        await streams.GetStream<InteractionEvent>(StreamId.Create(StreamNames.Interactions, user)).OnNextBatchAsync(events).WaitAsync(TimeSpan.FromSeconds(30));
}
