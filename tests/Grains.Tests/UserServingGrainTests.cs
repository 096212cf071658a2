using Cohortly.Contracts;
using Cohortly.Grains.Users;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Cohortly.Grains.Tests;

/// <summary>
/// A user's per-request reads on a silo (<see cref="SiloUserReads"/>), both as a gateway hosting the silo calls them
/// (directly, path "silo") and as a client-only gateway does (the user serving worker, <see cref="UserServingGrain"/>,
/// path "worker"): a user active on the silo is read on its own activation without a message — the same answer,
/// remembered for attribution, safe beside events — and any other user by a message, as before.
/// </summary>
public sealed class UserServingGrainTests : IAsyncLifetime
{
    private readonly CountedCalls _calls = UserServingCalls.UserMessages();
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync() =>
        _cluster = await FastLoopCluster.Start(FastLoopCluster.Configuration(), after: s => s.AddSingleton<IIncomingGrainCallFilter>(_calls));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private IUserReads Serving { get; set; } = null!;

    /// <summary>"worker": through the worker of the user's bucket, as a client-only gateway reads; "silo": the silo's own <see cref="IUserReads"/>, as a gateway hosting the silo reads.</summary>
    private void Use(string path) =>
        Serving = path == "worker" ? new WorkerUserReads(_cluster.Client) : _cluster.Silos[0].ServiceProvider.GetRequiredService<IUserReads>();

    [Theory]
    [InlineData("worker")]
    [InlineData("silo")]
    public async Task A_user_active_on_the_silo_is_read_without_a_message_and_what_it_was_served_is_remembered_and_attributed(string path)
    {
        Use(path);
        const string UserId = "in-place-1";
        var now = await ActiveWithPopularity(Event("ip-1", UserId, "item-0", InteractionType.View, DateTimeOffset.UtcNow));

        var messages = _calls.Count;
        var responses = new List<RecommendationResponse>();
        for (var i = 0; i < 20; i++)
        {
            responses.Add(await Serving.Recommend(UserId, new RecommendationRequest(3, Explore: false)));
        }

        var profile = await Serving.GetProfile(UserId);
        Assert.Equal(messages, _calls.Count);
        Assert.Equal(1, profile!.Counts.GetValueOrDefault("view"));
        Assert.All(responses, r => Assert.NotEmpty(r.Items));

        // Remembered as a message-served response is: the last ones are in the user's served list, and a click on one
        // of them is attributed to it.
        var last = responses[^1];
        var clicked = last.Items[0].ItemId;
        await FastLoopCluster.Publish(_cluster.Client, [Event("ip-click", UserId, clicked, InteractionType.Click, DateTimeOffset.UtcNow) with { RecommendationId = Guid.Parse(last.RecommendationId), Position = 0 }]);
        var user = _cluster.Client.GetUserGrain(UserId);
        var export = await Eventually.Value(user.Export, e => e.ServedRecommendations.Any(s => s.Items.Any(i => i.Clicked)), "the click is attributed to the response served in place");
        var served = export.ServedRecommendations.Single(s => s.RecommendationId == last.RecommendationId);
        Assert.True(served.Items[0].Clicked);
        Assert.Equal(clicked, served.Items[0].ItemId);
    }

    [Theory]
    [InlineData("worker")]
    [InlineData("silo")]
    public async Task Read_in_place_or_by_message_the_answer_is_the_same(string path)
    {
        Use(path);
        const string UserId = "same-1";
        await ActiveWithPopularity(Event("same-v", UserId, "item-1", InteractionType.Purchase, DateTimeOffset.UtcNow));
        var request = new RecommendationRequest(5, Explore: false);

        var messages = _calls.Count;
        var inPlace = await Serving.Recommend(UserId, request);
        Assert.Equal(messages, _calls.Count);
        var byMessage = await _cluster.Client.GetUserGrain(UserId).Recommend(request);
        Assert.Equal(messages + 1, _calls.Count);
        Assert.DoesNotContain(inPlace.Items, i => i.ItemId == "item-1"); // the purchased item, excluded on both paths
        Assert.DoesNotContain(byMessage.Items, i => i.ItemId == "item-1");

        // The same state and caches give the same list. The silo's popularity snapshot follows the flushes (its decayed
        // scores move with time), so a pair read across a snapshot change is read again.
        await Eventually.True(async () =>
        {
            var a = await Serving.Recommend(UserId, request);
            var b = await _cluster.Client.GetUserGrain(UserId).Recommend(request);
            return a.Strategy == b.Strategy && a.Items.Select(i => (i.ItemId, i.Score, i.Reason)).SequenceEqual(b.Items.Select(i => (i.ItemId, i.Score, i.Reason)));
        }, "a read in place and a read by message answer the same");
        var profileInPlace = await Serving.GetProfile(UserId);
        var profileByMessage = await _cluster.Client.GetUserGrain(UserId).GetProfile();
        Assert.Equal(profileByMessage!.Counts, profileInPlace!.Counts);
        Assert.Equal(profileByMessage.LastSeen, profileInPlace.LastSeen);
        Assert.Equal(profileByMessage.CategoryAffinity, profileInPlace.CategoryAffinity);
    }

    [Theory]
    [InlineData("worker")]
    [InlineData("silo")]
    public async Task A_user_not_active_on_the_silo_is_read_by_a_message_which_activates_it(string path)
    {
        Use(path);
        var local = _cluster.Silos[0].ServiceProvider.GetRequiredService<LocalUsers>();
        const string UserId = "never-seen";
        var messages = _calls.Count;

        Assert.Null(await Serving.GetProfile(UserId));
        Assert.Equal(messages + 1, _calls.Count);
        Assert.True(local.Count >= 1);

        Assert.Null(await Serving.GetProfile(UserId)); // now active here: in place
        Assert.Equal(messages + 1, _calls.Count);
    }

    [Theory]
    [InlineData("worker")]
    [InlineData("silo")]
    public async Task Reads_in_place_beside_a_stream_of_events_lose_nothing_and_fail_nothing(string path)
    {
        Use(path);
        const string UserId = "busy-1";
        var now = await ActiveWithPopularity(Event("busy-0", UserId, "item-0", InteractionType.View, DateTimeOffset.UtcNow));

        const int Events = 200, Reads = 400;
        var publishing = Task.Run(async () =>
        {
            for (var i = 1; i <= Events; i++)
            {
                await FastLoopCluster.Publish(_cluster.Client, [Event($"busy-{i}", UserId, $"item-{i % 7}", InteractionType.View, now.AddMilliseconds(i))]);
            }
        });
        var reads = Enumerable.Range(0, Reads).Select(i => i % 4 == 0
            ? Serving.GetProfile(UserId).ContinueWith(t => t.Result is not null, TaskScheduler.Default)
            : Serving.Recommend(UserId, new RecommendationRequest(4)).ContinueWith(t => t.Result.Items.Count > 0, TaskScheduler.Default)).ToArray();
        var answered = await Task.WhenAll(reads).WaitAsync(TimeSpan.FromMinutes(2));
        await publishing.WaitAsync(TimeSpan.FromMinutes(2));

        Assert.All(answered, Assert.True);
        var profile = await Eventually.Value(() => Serving.GetProfile(UserId), p => p?.Counts.GetValueOrDefault("view") == Events + 1, "every view is applied");
        Assert.Equal(Events + 1, profile!.Counts.Values.Sum());
        var export = await _cluster.Client.GetUserGrain(UserId).Export();
        Assert.InRange(export.ServedRecommendations.Count, 1, 8); // the served list stays bounded (Users:RecentRecommendations)
    }

    /// <summary>
    /// Seeds global popularity, applies <paramref name="first"/> (the user's only event so far), and waits until the user
    /// is served a non-empty list; returns the event's time.
    /// </summary>
    private async Task<DateTimeOffset> ActiveWithPopularity(InteractionEvent first)
    {
        await SeedPopularity(first.Timestamp);
        await FastLoopCluster.Publish(_cluster.Client, [first]);
        var type = first.Type.ToWireName();
        await Eventually.True(async () => (await Serving.GetProfile(first.UserId))?.Counts.GetValueOrDefault(type) == 1, "the first event is applied");
        await Eventually.True(async () => (await Serving.Recommend(first.UserId, new RecommendationRequest(4, Explore: false))).Items.Count > 0, "popularity reaches the silo cache");
        return first.Timestamp;
    }

    /// <summary>Views by a few users so global popularity has items to serve.</summary>
    private async Task SeedPopularity(DateTimeOffset now)
    {
        var events = new List<InteractionEvent>();
        for (var u = 0; u < 4; u++)
        {
            for (var i = 0; i < 6; i++)
            {
                events.Add(Event($"seed-{u}-{i}", $"seed-{u}", $"item-{i}", InteractionType.View, now));
            }
        }

        await FastLoopCluster.Publish(_cluster.Client, events);
    }

    private static InteractionEvent Event(string id, string user, string item, InteractionType type, DateTimeOffset at) =>
        new(id, user, item, type, type == InteractionType.Purchase ? 10 : null, at, "web", at);
}

/// <summary>
/// A silo where users deactivate after 6 s idle: a user read only in place gets a message once it has had none for half
/// of that, which keeps it resident; a user nobody reads deactivates and is read again by a message.
/// </summary>
public sealed class UserServingResidencyTests : IAsyncLifetime
{
    private static readonly TimeSpan IdleAge = TimeSpan.FromSeconds(6);
    private readonly CountedCalls _calls = UserServingCalls.UserMessages();
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync() =>
        _cluster = await FastLoopCluster.Start(
            FastLoopCluster.Configuration(new Dictionary<string, string?>
            {
                ["Cohortly:Users:IdleDeactivation"] = IdleAge.ToString(),
                ["Cohortly:Streams:Inactivity"] = "00:00:01",
            }),
            after: s => s.AddSingleton<IIncomingGrainCallFilter>(_calls));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private IUserReads Serving => _cluster.Silos[0].ServiceProvider.GetRequiredService<IUserReads>();

    private LocalUsers Local => _cluster.Silos[0].ServiceProvider.GetRequiredService<LocalUsers>();

    [Fact]
    public async Task A_user_read_only_in_place_gets_a_message_every_half_idle_age_and_stays_active()
    {
        const string UserId = "resident-1";
        var now = DateTimeOffset.UtcNow;
        await FastLoopCluster.Publish(_cluster.Client, [new InteractionEvent("r-1", UserId, "item-1", InteractionType.View, null, now, "web", now)]);
        await Eventually.True(async () => (await Serving.GetProfile(UserId))?.Counts.Values.Sum() == 1, "the view is applied");

        // Two and a half idle ages of reads, every 200 ms: without the refresh the user would have been collected.
        var messages = _calls.Count;
        var reads = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < IdleAge * 2.5)
        {
            Assert.Equal(1, (await Serving.GetProfile(UserId))!.Counts.Values.Sum());
            reads++;
            await Task.Delay(200);
        }

        var sent = _calls.Count - messages;
        Assert.True(sent >= 2, $"{sent} messages in {clock.Elapsed.TotalSeconds:0.0} s: at least one per half idle age ({IdleAge / 2})");
        // At most one message per half idle age (plus the edges), however many reads: the rest were read in place.
        var bound = (int)(clock.Elapsed / (IdleAge / 2)) + 2;
        Assert.True(sent <= bound, $"{sent} of {reads} reads were messages in {clock.Elapsed.TotalSeconds:0.0} s (at most {bound}): the rest should be in place");
        Assert.Equal(1, _calls.Activations); // every message reached one activation: it was never collected
    }

    [Fact]
    public async Task A_user_nobody_reads_deactivates_leaves_the_silo_registry_and_is_read_again_by_a_message()
    {
        const string UserId = "leaving-1";
        var now = DateTimeOffset.UtcNow;
        await FastLoopCluster.Publish(_cluster.Client, [new InteractionEvent("l-1", UserId, "item-1", InteractionType.Purchase, 20, now, "web", now)]);
        var before = await Eventually.Value(() => Serving.GetProfile(UserId), p => p?.Counts.Values.Sum() == 1, "the purchase is applied");
        var activations = _calls.Activations;

        await Eventually.True(() => Task.FromResult(Local.Count == 0), "the idle user deactivates and leaves the registry", IdleAge * 5);

        var messages = _calls.Count;
        var after = await Serving.GetProfile(UserId);
        Assert.Equal(messages + 1, _calls.Count);
        Assert.Equal(activations + 1, _calls.Activations);
        Assert.Equal(before!.Counts, after!.Counts);
        Assert.Equal(1, Local.Count);
    }
}

/// <summary>The messages a test counts here: every call of an <see cref="IUserGrain"/> method on a user grain.</summary>
internal static class UserServingCalls
{
    public static CountedCalls UserMessages() => new(context => context.Grain is UserGrain && context.InterfaceMethod?.DeclaringType == typeof(IUserGrain));
}
