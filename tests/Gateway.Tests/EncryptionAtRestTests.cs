using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Grains.Training;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cohortly.Gateway.Tests;

/// <summary>The embedded cluster with Cohortly:DataEncryption on, over a data directory that already holds plain files.</summary>
public sealed class EncryptionAtRestTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("cohortly-encrypted-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task The_embedded_cluster_seals_new_lines_and_trains_on_sealed_and_older_plain_lines()
    {
        // Written before encryption was turned on: plain lines the encrypted gateway must still train on.
        var earlier = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 30, Items = 80, Categories = 6, UserPrefix = "plain-" }, seed: 5);
        using (var plain = new FileInteractionLog(_data, 30, TimeProvider.System, NullLogger<FileInteractionLog>.Instance))
        {
            var now = DateTimeOffset.UtcNow;
            await plain.AppendAsync([.. earlier.History(now.AddMinutes(-1), days: 5, new Random(1)).Select(e => new InteractionEvent(e.EventId, e.UserId, e.ItemId, e.Type, e.Value, e.Timestamp, e.Device, now))], CancellationToken.None);
        }

        var plainLines = File.ReadAllLines(Directory.GetFiles(Path.Combine(_data, "events")).Single()).Length;
        await using var factory = new EncryptedGateway(_data, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 40, Items = 80, Categories = 6, UserPrefix = "sealed-" }, seed: 6);
        var app = factory.CreateClient();
        app.DefaultRequestHeaders.Add("X-Api-Key", GatewayFactory.AppKey);
        await WireEvents.PostAccepted(app, world.History(DateTimeOffset.UtcNow.AddMinutes(-1), days: 5, new Random(2)));

        using var api = new CohortlyApiClient(app, GatewayFactory.AdminKey);
        var run = await api.TrainAsync(TimeSpan.FromMinutes(3), progress: null, CancellationToken.None);

        Assert.True(run.Succeeded, run.Status.ToJsonString());
        Assert.Equal(0, run.Status["skippedEvents"]!.GetValue<long>());
        var models = await api.AdminGetAsync("/v1/models", CancellationToken.None);
        Assert.Equal(earlier.Users.Count + world.Users.Count, models["versions"]![0]!["users"]!.GetValue<int>());

        var lines = File.ReadAllLines(Directory.GetFiles(Path.Combine(_data, "events")).Single());
        Assert.All(lines[..plainLines], l => Assert.StartsWith("{", l, StringComparison.Ordinal));
        Assert.True(lines.Length > plainLines);
        Assert.All(lines[plainLines..], l =>
        {
            Assert.StartsWith("~1:key-1:", l, StringComparison.Ordinal);
            Assert.DoesNotContain("sealed-", l, StringComparison.Ordinal);
        });
    }

    private sealed class EncryptedGateway(string data, string key) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            GatewayFactory.Configure(builder);
            builder.UseSetting("Cohortly:Training:DataDirectory", data);
            builder.UseSetting("Cohortly:DataEncryption:ActiveKey", "key-1");
            builder.UseSetting("Cohortly:DataEncryption:Keys:key-1", key);
        }
    }
}
