using System.Security.Cryptography;
using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Training;
using Cohortly.Modeling.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Cohortly.Grains.Tests;

/// <summary>The embedded log's files with Cohortly:DataEncryption on: sealed lines, mixed directories, rotation, tampering.</summary>
public sealed class EncryptedTrainingLogTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] KeyOne = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] KeyTwo = RandomNumberGenerator.GetBytes(32);
    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(Start);

    public void Dispose() => _directory.Dispose();

    private static EventFileCodec Codec(string? active, bool acceptPlain = true, params (string Id, byte[] Key)[] keys) =>
        new(new EventFileKeys(active, keys.ToDictionary(k => k.Id, k => k.Key, StringComparer.Ordinal), acceptPlain));

    private FileInteractionLog NewLog(EventFileCodec codec, int retentionDays = 30) =>
        new(_directory.Path, retentionDays, _time, NullLogger<FileInteractionLog>.Instance, codec);

    private InteractionEvent Event(string id, string user = "alice@example.com", string item = "i1") =>
        new(id, user, item, InteractionType.Purchase, 12.5, _time.GetUtcNow().AddMinutes(-1), "mobile", _time.GetUtcNow());

    private string[] Lines(string folder) =>
        [.. Directory.GetFiles(Path.Combine(_directory.Path, folder)).Order(StringComparer.Ordinal).SelectMany(File.ReadAllLines).Where(l => l.Length > 0)];

    [Fact]
    public async Task Sealed_events_and_attributes_read_back_and_no_user_id_is_on_disk()
    {
        using var codec = Codec("k1", true, ("k1", KeyOne));
        using var log = NewLog(codec);
        await log.AppendAsync([Event("e1", item: "a"), Event("e2", item: "b")], CancellationToken.None);
        await log.AppendAttributesAsync("alice@example.com", new Dictionary<string, string> { ["country"] = "de" }, CancellationToken.None);

        var read = await log.ReadAsync(Start.AddDays(-1), CancellationToken.None);

        Assert.Equal(["a", "b"], read.Events.Select(e => e.ItemId));
        Assert.Equal("alice@example.com", Assert.Single(read.Events.Select(e => e.UserId).Distinct()));
        Assert.Equal("de", Assert.Single(read.Attributes).Attributes["country"]);
        Assert.Equal(0, read.UnreadableLines);
        foreach (var line in Lines("events").Concat(Lines("attributes")))
        {
            Assert.StartsWith("~1:k1:", line, StringComparison.Ordinal);
            Assert.DoesNotContain("alice", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Erasure_and_the_withheld_list_keep_the_files_sealed_and_leave_lines_the_process_cannot_open_in_place()
    {
        // A line under a key this process no longer holds (k0, removed too early) must survive another user's erasure.
        using (var old = Codec("k0", true, ("k0", KeyTwo)))
        using (var before = NewLog(old))
        {
            await before.AppendAsync([Event("x0", user: "zoe", item: "z")], CancellationToken.None);
        }

        using var codec = Codec("k1", true, ("k1", KeyOne));
        using var log = NewLog(codec);
        await log.AppendAsync([Event("e1", item: "a"), Event("b1", user: "bob", item: "b")], CancellationToken.None);
        var foreign = Lines("events")[0];

        var erased = await log.EraseUserAsync("alice@example.com", CancellationToken.None);
        await log.SetWithheldAsync("carol", true, CancellationToken.None);

        Assert.Equal(1, erased.Events);
        var lines = Lines("events");
        Assert.Equal(2, lines.Length);
        Assert.Equal(foreign, lines[0]);
        Assert.StartsWith("~1:k1:", lines[1], StringComparison.Ordinal);
        var withheld = File.ReadAllLines(Path.Combine(_directory.Path, "withheld.jsonl"));
        Assert.StartsWith("~1:k1:", Assert.Single(withheld), StringComparison.Ordinal);
        var read = await log.ReadAsync(Start.AddDays(-1), CancellationToken.None);
        Assert.Equal(["bob"], read.Events.Select(e => e.UserId));
        Assert.Equal(1, read.UnreadableLines);

        using var reopened = NewLog(codec);
        await reopened.AppendAsync([Event("c1", user: "carol", item: "c")], CancellationToken.None);
        Assert.DoesNotContain("carol", (await reopened.ReadAsync(Start.AddDays(-1), CancellationToken.None)).Events.Select(e => e.UserId));
    }

    [Fact]
    public async Task Turning_encryption_on_keeps_the_plain_lines_readable_in_the_same_day_file()
    {
        using (var plain = NewLog(EventFileCodec.Plain))
        {
            await plain.AppendAsync([Event("e1", item: "before")], CancellationToken.None);
        }

        using var codec = Codec("k1", true, ("k1", KeyOne));
        using var log = NewLog(codec);
        await log.AppendAsync([Event("e2", item: "after")], CancellationToken.None);

        var read = await log.ReadAsync(Start.AddDays(-1), CancellationToken.None);

        Assert.Equal(["before", "after"], read.Events.Select(e => e.ItemId));
        var lines = Lines("events");
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("{", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("~1:k1:", lines[1], StringComparison.Ordinal);

        // Once plain lines are refused, the old one is skipped and counted, not trained on.
        using var strict = Codec("k1", false, ("k1", KeyOne));
        var strictRead = await NewLog(strict).ReadAsync(Start.AddDays(-1), CancellationToken.None);
        Assert.Equal(["after"], strictRead.Events.Select(e => e.ItemId));
        Assert.Equal(1, strictRead.UnreadableLines);
    }

    [Fact]
    public async Task After_rotation_old_lines_need_the_previous_key_and_folding_reseals_attributes_with_the_new_one()
    {
        using (var first = Codec("k1", true, ("k1", KeyOne)))
        using (var log = NewLog(first, retentionDays: 2))
        {
            await log.AppendAsync([Event("e1", item: "old")], CancellationToken.None);
            await log.AppendAttributesAsync("u1", new Dictionary<string, string> { ["country"] = "de" }, CancellationToken.None);
        }

        _time.Advance(TimeSpan.FromDays(1));
        using var rotated = Codec("k2", true, ("k1", KeyOne), ("k2", KeyTwo));
        using (var log = NewLog(rotated, retentionDays: 2))
        {
            await log.AppendAsync([Event("e2", item: "new")], CancellationToken.None);
            var read = await log.ReadAsync(Start.AddDays(-1), CancellationToken.None);
            Assert.Equal(["old", "new"], read.Events.Select(e => e.ItemId));
            Assert.Equal("de", Assert.Single(read.Attributes).Attributes["country"]);
        }

        // Dropping the old key too early: its lines are reported and skipped, the new ones still train.
        using var withoutOld = Codec("k2", true, ("k2", KeyTwo));
        var early = await NewLog(withoutOld, retentionDays: 2).ReadAsync(Start.AddDays(-1), CancellationToken.None);
        Assert.Equal(["new"], early.Events.Select(e => e.ItemId));
        Assert.Equal(2, early.UnreadableLines);

        // Past retention the old event file is gone and the old attribute file is folded into base.jsonl under k2.
        _time.Advance(TimeSpan.FromDays(2));
        using (var log = NewLog(rotated, retentionDays: 2))
        {
            await log.ApplyRetentionAsync(CancellationToken.None);
        }

        Assert.All(Lines("events").Concat(Lines("attributes")), l => Assert.StartsWith("~1:k2:", l, StringComparison.Ordinal));
        var after = await NewLog(withoutOld, retentionDays: 2).ReadAsync(Start.AddDays(-1), CancellationToken.None);
        Assert.Equal(0, after.UnreadableLines);
        Assert.Equal("de", Assert.Single(after.Attributes).Attributes["country"]);
    }

    [Fact]
    public async Task A_tampered_or_foreign_line_is_skipped_and_counted_and_the_rest_still_reads()
    {
        using var codec = Codec("k1", true, ("k1", KeyOne));
        using (var log = NewLog(codec))
        {
            await log.AppendAsync([Event("e1", item: "a"), Event("e2", item: "b"), Event("e3", item: "c")], CancellationToken.None);
        }

        var file = Directory.GetFiles(Path.Combine(_directory.Path, "events")).Single();
        var lines = File.ReadAllLines(file);
        var chars = lines[1].ToCharArray();
        chars[20] = chars[20] == 'A' ? 'B' : 'A';
        lines[1] = new string(chars);
        using (var other = Codec("k1", true, ("k1", KeyTwo)))
        {
            // A line sealed elsewhere under a different key that happens to share the id.
            var foreign = System.Text.Encoding.UTF8.GetString(other.EncodeLine("{\"eventId\":\"x\",\"userId\":\"u\",\"itemId\":\"x\",\"type\":\"View\"}"u8));
            lines = [.. lines, foreign.TrimEnd('\n')];
        }

        await File.WriteAllLinesAsync(file, lines);

        using var reopened = NewLog(codec);
        var read = await reopened.ReadAsync(Start.AddDays(-1), CancellationToken.None);

        Assert.Equal(["a", "c"], read.Events.Select(e => e.ItemId));
        Assert.Equal(2, read.UnreadableLines);
    }

    [Fact]
    public void Encryption_settings_are_validated_at_start_naming_the_key_and_never_echoing_it()
    {
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        using var provider = Services(new()
        {
            ["Cohortly:DataEncryption:ActiveKey"] = "k3",
            ["Cohortly:DataEncryption:Keys:k1"] = secret,
            ["Cohortly:DataEncryption:Keys:k2"] = "not base64 !",
        });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<DataEncryptionOptions>>().Value);

        Assert.Contains("Cohortly:DataEncryption:Keys:k1 decodes to 16 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Cohortly:DataEncryption:Keys:k2 is not base64", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Cohortly:DataEncryption:ActiveKey 'k3'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_settings_give_a_codec_that_seals_with_the_active_key()
    {
        using var provider = Services(new()
        {
            ["Cohortly:DataEncryption:ActiveKey"] = "2026-12",
            ["Cohortly:DataEncryption:Keys:2026-12"] = Convert.ToBase64String(KeyOne),
            ["Cohortly:DataEncryption:Keys:2026-06"] = Convert.ToBase64String(KeyTwo),
        });

        var codec = provider.GetRequiredService<EventFileCodec>();

        Assert.True(codec.Seals);
        Assert.StartsWith("~1:2026-12:", System.Text.Encoding.UTF8.GetString(codec.EncodeLine("{}"u8)), StringComparison.Ordinal);
        Assert.False(Services([]).GetRequiredService<EventFileCodec>().Seals);
    }

    [Fact]
    public void An_active_key_in_redis_mode_is_refused_because_the_log_there_is_not_files()
    {
        using var provider = Services(new()
        {
            ["Cohortly:Cluster"] = "Redis",
            ["ConnectionStrings:Redis"] = "127.0.0.1:1",
            ["Cohortly:DataEncryption:ActiveKey"] = "k1",
            ["Cohortly:DataEncryption:Keys:k1"] = Convert.ToBase64String(KeyOne),
        });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<DataEncryptionOptions>>().Value);

        Assert.Contains("Cohortly:DataEncryption:ActiveKey is set but the backend keeps its event log in Redis", ex.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Services(Dictionary<string, string?> values)
    {
        var services = new ServiceCollection();
        DataEncryptionOptions.Register(services, new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        return services.BuildServiceProvider();
    }
}
