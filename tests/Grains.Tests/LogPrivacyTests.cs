using Cohortly.Contracts;
using Cohortly.Grains.Training;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Cohortly.Grains.Tests;

/// <summary>Erasure, consent and retention in the embedded log's day files.</summary>
public sealed class LogPrivacyTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(Start);

    public void Dispose() => _directory.Dispose();

    private FileInteractionLog NewLog(int retentionDays = 30) => new(_directory.Path, retentionDays, _time, NullLogger<FileInteractionLog>.Instance);

    private InteractionEvent Event(string id, string user, DateTimeOffset? received = null) =>
        new(id, user, "i-" + id, InteractionType.View, null, _time.GetUtcNow().AddMinutes(-1), "mobile", received ?? _time.GetUtcNow());

    [Fact]
    public async Task Erasure_rewrites_every_day_file_without_the_user_and_refuses_their_events_received_before_it()
    {
        var log = NewLog();
        await log.AppendAsync([Event("a1", "alice"), Event("b1", "bob")], CancellationToken.None);
        await log.AppendAttributesAsync("alice", new Dictionary<string, string> { ["country"] = "de" }, CancellationToken.None);
        _time.Advance(TimeSpan.FromDays(1));
        var inFlight = Event("a3", "alice");
        await log.AppendAsync([Event("a2", "alice"), Event("b2", "bob")], CancellationToken.None);
        await log.AppendAttributesAsync("bob", new Dictionary<string, string> { ["country"] = "it" }, CancellationToken.None);
        Assert.Equal(["a1", "a2"], (await log.ReadUserAsync("alice", CancellationToken.None)).Events.Select(e => e.EventId));

        var erased = await log.EraseUserAsync("alice", CancellationToken.None);

        Assert.Equal(2, erased.Events);
        Assert.Equal(1, erased.Attributes);
        Assert.Equal(_time.GetUtcNow(), erased.Cutoff);
        Assert.Null(erased.Watermark);
        var files = Directory.GetFiles(Path.Combine(_directory.Path, "events")).Concat(Directory.GetFiles(Path.Combine(_directory.Path, "attributes")));
        Assert.Equal(4, files.Count()); // a file left empty stays, empty
        Assert.All(files, f => Assert.DoesNotContain("alice", File.ReadAllText(f), StringComparison.Ordinal));

        // An event received before the erasure that reaches the log afterwards (in flight) is refused; a later one is a new user.
        _time.Advance(TimeSpan.FromSeconds(1));
        await log.AppendAsync([inFlight, Event("a4", "alice"), Event("b3", "bob")], CancellationToken.None);
        var read = await log.ReadAsync(DateTimeOffset.MinValue, CancellationToken.None);
        Assert.Equal(["b1", "b2", "a4", "b3"], read.Events.Select(e => e.ItemId[2..]));
        Assert.Equal(["bob"], read.Attributes.Select(a => a.UserId));
        Assert.Equal(["a4"], (await log.ReadUserAsync("alice", CancellationToken.None)).Events.Select(e => e.EventId));
        Assert.Null((await log.ReadUserAsync("alice", CancellationToken.None)).Attributes);

        var again = await log.EraseUserAsync("bob", CancellationToken.None);
        Assert.Equal(3, again.Events);
        var repeat = await log.EraseUserAsync("bob", CancellationToken.None);
        Assert.Equal(0, repeat.Events);
        Assert.Equal(0, repeat.Attributes);
        log.Dispose();
    }

    [Fact]
    public async Task A_withheld_user_is_neither_stored_nor_read_until_consent_returns_and_the_list_survives_a_restart()
    {
        var log = NewLog();
        await log.AppendAsync([Event("c1", "carol")], CancellationToken.None);
        await log.SetWithheldAsync("carol", true, CancellationToken.None);
        await log.AppendAsync([Event("c2", "carol"), Event("d1", "dave")], CancellationToken.None);
        log.Dispose();

        var reopened = NewLog();
        await reopened.AppendAsync([Event("c3", "carol")], CancellationToken.None);
        var read = await reopened.ReadAsync(DateTimeOffset.MinValue, CancellationToken.None);
        Assert.Equal(["dave"], read.Events.Select(e => e.UserId));
        // c1 predates the withdrawal and stays on disk until erased (the grain erases it with the withdrawal); c2, c3 were never written.
        Assert.Equal(["c1"], (await reopened.ReadUserAsync("carol", CancellationToken.None)).Events.Select(e => e.EventId));

        await reopened.SetWithheldAsync("carol", false, CancellationToken.None);
        await reopened.AppendAsync([Event("c4", "carol")], CancellationToken.None);
        Assert.Equal(["c1", "c4"], (await reopened.ReadAsync(DateTimeOffset.MinValue, CancellationToken.None)).Events.Where(e => e.UserId == "carol").Select(e => e.ItemId[2..]));
        reopened.Dispose();
    }

    [Fact]
    public async Task Retention_deletes_day_files_past_the_window_even_when_nothing_is_written()
    {
        using var log = NewLog(retentionDays: 2);
        await log.AppendAsync([Event("old", "u1")], CancellationToken.None);
        _time.Advance(TimeSpan.FromDays(2));
        await log.AppendAsync([Event("mid", "u1")], CancellationToken.None);
        _time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(_directory.Path, "events")).Length);

        // No write since the day changed: only the retention sweep removes the old file.
        var removed = await log.ApplyRetentionAsync(CancellationToken.None);

        Assert.Equal(1, removed);
        Assert.Equal(["mid"], (await log.ReadAsync(DateTimeOffset.MinValue, CancellationToken.None)).Events.Select(e => e.ItemId[2..]));
        Assert.Equal(0, await log.ApplyRetentionAsync(CancellationToken.None));
    }
}
