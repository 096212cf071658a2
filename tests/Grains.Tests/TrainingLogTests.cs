using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Grains.Training;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Cohortly.Grains.Tests;

public sealed class TrainingLogTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(Start);

    public void Dispose() => _directory.Dispose();

    private FileInteractionLog NewLog(int retentionDays = 30) => new(_directory.Path, retentionDays, _time, NullLogger<FileInteractionLog>.Instance);

    private InteractionEvent Event(string id, string user = "u1", string item = "i1") =>
        new(id, user, item, InteractionType.View, null, _time.GetUtcNow().AddMinutes(-1), "mobile", _time.GetUtcNow());

    [Fact]
    public async Task Appended_events_and_latest_attributes_are_read_back_in_order_without_duplicates()
    {
        using var log = NewLog();
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 20, Items = 50 }, seed: 2);
        var history = world.History(Start, days: 3, new Random(1));
        var events = history.Select(e => new InteractionEvent(e.EventId, e.UserId, e.ItemId, e.Type, e.Value, e.Timestamp, e.Device, _time.GetUtcNow())).ToList();
        await log.AppendAsync(events[..(events.Count / 2)], CancellationToken.None);
        // A client retry re-sends part of the first batch: the log keeps one copy.
        await log.AppendAsync(events[(events.Count / 3)..], CancellationToken.None);
        await log.AppendAttributesAsync("u000001", new Dictionary<string, string> { ["country"] = "de" }, CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(1));
        await log.AppendAttributesAsync("u000001", new Dictionary<string, string> { ["country"] = "fr", ["age"] = "25-34" }, CancellationToken.None);

        var read = await log.ReadAsync(Start.AddDays(-1), CancellationToken.None);

        Assert.Equal(events.Select(e => e.ToInteraction()), read.Events);
        var attributes = Assert.Single(read.Attributes);
        Assert.Equal("u000001", attributes.UserId);
        Assert.Equal("fr", attributes.Attributes["country"]);
        Assert.Equal("25-34", attributes.Attributes["age"]);
    }

    [Fact]
    public async Task A_read_shares_one_string_per_user_item_and_device_across_events()
    {
        using var log = NewLog();
        await log.AppendAsync([Event("e1", "u1", "a"), Event("e2", "u2", "a"), Event("e3", "u1", "b")], CancellationToken.None);
        await log.AppendAsync([Event("e4", "u1", "a")], CancellationToken.None);

        var read = await log.ReadAsync(Start.AddDays(-1), CancellationToken.None);

        Assert.Equal(["u1a", "u2a", "u1b", "u1a"], read.Events.Select(e => e.UserId + e.ItemId));
        // Each line is parsed into new strings; the read maps equal ids to the first instance.
        Assert.Same(read.Events[0].UserId, read.Events[2].UserId);
        Assert.Same(read.Events[0].UserId, read.Events[3].UserId);
        Assert.Same(read.Events[0].ItemId, read.Events[1].ItemId);
        Assert.Same(read.Events[0].ItemId, read.Events[3].ItemId);
        Assert.Same(read.Events[0].Device, read.Events[3].Device);
        Assert.NotSame(read.Events[0].UserId, read.Events[1].UserId);
    }

    [Fact]
    public async Task Events_survive_a_restart_and_a_torn_last_line_is_skipped()
    {
        using (var log = NewLog())
        {
            await log.AppendAsync([Event("e1", item: "a"), Event("e2", item: "b")], CancellationToken.None);
        }

        // A crash mid-write leaves a partial line at the end of the day file.
        var file = Directory.GetFiles(Path.Combine(_directory.Path, "events")).Single();
        await File.AppendAllTextAsync(file, "{\"eventId\":\"e3\",\"us");

        using var reopened = NewLog();
        await reopened.AppendAsync([Event("e4", item: "d")], CancellationToken.None);
        var read = await reopened.ReadAsync(Start.AddDays(-1), CancellationToken.None);

        // The next append starts on a fresh line, so the torn record costs only itself.
        Assert.Equal(["a", "b", "d"], read.Events.Select(e => e.ItemId));
    }

    [Fact]
    public async Task Retention_deletes_old_day_files_but_keeps_each_users_latest_attributes()
    {
        using var log = NewLog(retentionDays: 30);
        await log.AppendAsync([Event("old-1", item: "old")], CancellationToken.None);
        await log.AppendAttributesAsync("u1", new Dictionary<string, string> { ["country"] = "de" }, CancellationToken.None);
        await log.AppendAttributesAsync("u2", new Dictionary<string, string> { ["country"] = "it" }, CancellationToken.None);

        _time.Advance(TimeSpan.FromDays(10));
        await log.AppendAttributesAsync("u2", new Dictionary<string, string> { ["country"] = "es" }, CancellationToken.None);
        _time.Advance(TimeSpan.FromDays(25));
        await log.AppendAsync([Event("new-1", item: "new")], CancellationToken.None);

        var eventFiles = Directory.GetFiles(Path.Combine(_directory.Path, "events")).Select(Path.GetFileName).ToList();
        Assert.Equal(["2026-04-05.jsonl"], eventFiles);

        var read = await log.ReadAsync(Start.AddYears(-1), CancellationToken.None);
        Assert.Equal(["new"], read.Events.Select(e => e.ItemId));
        Assert.Equal([("u1", "de"), ("u2", "es")], read.Attributes.Select(a => (a.UserId, a.Attributes["country"])));
    }

    [Fact]
    public async Task Concurrent_appends_lose_no_event()
    {
        using var log = NewLog();
        const int Writers = 16;
        const int Batches = 40;
        const int PerBatch = 10;
        var tasks = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var b = 0; b < Batches; b++)
            {
                var batch = Enumerable.Range(0, PerBatch).Select(i => Event($"w{w}-b{b}-e{i}", user: $"u{w}", item: $"w{w}-b{b}-e{i}")).ToList();
                await log.AppendAsync(batch, CancellationToken.None);
            }
        }));
        var reader = Task.Run(() => log.ReadAsync(Start.AddDays(-1), CancellationToken.None));
        await Task.WhenAll([.. tasks, reader]);

        var read = await log.ReadAsync(Start.AddDays(-1), CancellationToken.None);
        Assert.Equal(Writers * Batches * PerBatch, read.Events.Select(e => e.ItemId).Distinct().Count());
        Assert.Equal(Writers * Batches * PerBatch, read.Events.Count);
        // A read racing the writers sees only whole lines.
        Assert.True((await reader).Events.Count <= read.Events.Count);
    }

    [Fact]
    public async Task Reading_since_a_time_skips_events_received_before_it()
    {
        using var log = NewLog();
        await log.AppendAsync([Event("early", item: "early")], CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(3));
        var cut = _time.GetUtcNow();
        await log.AppendAsync([Event("late", item: "late")], CancellationToken.None);

        var read = await log.ReadAsync(cut, CancellationToken.None);

        Assert.Equal(["late"], read.Events.Select(e => e.ItemId));
    }
}
