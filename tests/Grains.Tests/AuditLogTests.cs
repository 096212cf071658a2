using Cohortly.Grains.Audit;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Training;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Tests;

/// <summary>Both backends' audit trails: append-only, durable across instances, paged newest first, filtered.</summary>
public sealed class AuditLogTests(TrainingRedis redis) : IClassFixture<TrainingRedis>, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cohortly-audit-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static AuditEntry Entry(int i, string key = "ops", string action = "POST /v1/admin/training/") =>
        new("", DateTimeOffset.UnixEpoch.AddMinutes(i), key, "admin", action, new Dictionary<string, string> { ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }, 202);

    [Fact]
    public async Task File_audit_log_survives_a_restart_and_continues_its_ids_after_a_torn_line()
    {
        var first = new FileAuditLog(_root);
        var id1 = await first.AppendAsync(Entry(1), CancellationToken.None);
        var id2 = await first.AppendAsync(Entry(2), CancellationToken.None);
        Assert.NotEqual(id1, id2);

        // A power loss mid-append leaves a partial line at the end of the file.
        await File.AppendAllTextAsync(Path.Combine(_root, "audit", "audit.jsonl"), "{\"id\":\"\",\"at\":\"19");

        var second = new FileAuditLog(_root);
        var id3 = await second.AppendAsync(Entry(3), CancellationToken.None);
        var page = await second.ReadAsync(new AuditQuery(10), CancellationToken.None);
        Assert.Equal(["3", "2", "1"], page.Entries.Select(e => e.Target["n"]));
        Assert.Equal([id3, id2, id1], page.Entries.Select(e => e.Id));
        Assert.Null(page.Next);
        Assert.Equal(202, page.Entries[0].Status);
    }

    [Fact]
    public async Task File_audit_log_pages_and_filters() => await PagesAndFilters(new FileAuditLog(_root));

    [Fact]
    public async Task Redis_audit_log_pages_and_filters()
    {
        var options = Options.Create(new CohortlyOptions { Cluster = "Redis", ServiceId = "audit-" + Guid.NewGuid().ToString("N") });
        await using var connection = new CohortlyRedis(redis.ConnectionString, options);
        await PagesAndFilters(new RedisAuditLog(connection));
    }

    [Fact]
    public async Task Redis_audit_log_pages_across_its_read_batches()
    {
        var options = Options.Create(new CohortlyOptions { Cluster = "Redis", ServiceId = "audit-" + Guid.NewGuid().ToString("N") });
        await using var connection = new CohortlyRedis(redis.ConnectionString, options);
        var log = new RedisAuditLog(connection);
        for (var i = 0; i < 600; i++)
        {
            await log.AppendAsync(Entry(i, key: i == 3 ? "rare" : "ops"), CancellationToken.None);
        }

        // The one match is older than two read batches: the reader must go on past them.
        var rare = await log.ReadAsync(new AuditQuery(10, KeyName: "rare"), CancellationToken.None);
        Assert.Equal("3", Assert.Single(rare.Entries).Target["n"]);
        Assert.Null(rare.Next);
    }

    private static async Task PagesAndFilters(IAuditLog log)
    {
        for (var i = 0; i < 7; i++)
        {
            await log.AppendAsync(Entry(i, key: i % 2 == 0 ? "ops" : "bi", action: i == 5 ? "DELETE /v1/cohorts/{cohortId}/policy" : "POST /v1/admin/training/"), CancellationToken.None);
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await log.ReadAsync(new AuditQuery(3, cursor), CancellationToken.None);
            Assert.InRange(page.Entries.Count, 1, 3);
            seen.AddRange(page.Entries.Select(e => e.Target["n"]));
            cursor = page.Next;
        }
        while (cursor is not null);

        Assert.Equal(["6", "5", "4", "3", "2", "1", "0"], seen);
        Assert.Equal(["6", "4", "2", "0"], (await log.ReadAsync(new AuditQuery(10, KeyName: "ops"), CancellationToken.None)).Entries.Select(e => e.Target["n"]));
        Assert.Equal(["5"], (await log.ReadAsync(new AuditQuery(10, Action: "DELETE"), CancellationToken.None)).Entries.Select(e => e.Target["n"]));
        var window = await log.ReadAsync(new AuditQuery(10, Since: DateTimeOffset.UnixEpoch.AddMinutes(2), Until: DateTimeOffset.UnixEpoch.AddMinutes(4)), CancellationToken.None);
        Assert.Equal(["3", "2"], window.Entries.Select(e => e.Target["n"]));
        await Assert.ThrowsAsync<ArgumentException>(() => log.ReadAsync(new AuditQuery(10, Before: "not-a-cursor"), CancellationToken.None));
    }
}
