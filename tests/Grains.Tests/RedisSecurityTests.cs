using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Hosting.Redis;
using Cohortly.Grains.Training;
using Cohortly.Streaming.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Streams;
using Orleans.TestingHost;
using StackExchange.Redis;

namespace Cohortly.Grains.Tests;

/// <summary>
/// Cohortly:Redis against Debian's redis-server: a password, an ACL user, and TLS with a private CA and a client
/// certificate (this redis-server build has TLS), through the one <see cref="RedisConnection"/> every user takes.
/// </summary>
public sealed class RedisSecurityTests
{
    private static readonly IOptions<CohortlyOptions> Options = Microsoft.Extensions.Options.Options.Create(new CohortlyOptions { Cluster = "Redis", ServiceId = "security-tests" });

    private static IConfiguration Config(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    private static async Task SaveAndLoadModel(RedisConnection connection)
    {
        await using var redis = new CohortlyRedis(connection, Options);
        var store = new RedisModelStore(redis);
        byte[] bytes = [1, 2, 3, 4, 5];
        await store.SaveAsync(1, bytes, CancellationToken.None);
        Assert.Equal(bytes, await store.LoadAsync(1, CancellationToken.None));
    }

    [Fact]
    public async Task A_password_protected_redis_takes_the_configured_password_and_refuses_a_connection_without_it()
    {
        await using var server = await RedisServer.StartAsync(security: new RedisServerSecurity(Password: "requirepass-secret"));
        var endpoint = $"127.0.0.1:{server.Port},connectTimeout=3000";

        await SaveAndLoadModel(RedisConnection.From(Config(new()
        {
            ["ConnectionStrings:Redis"] = endpoint,
            ["Cohortly:Redis:Password"] = "requirepass-secret",
        })));

        await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectionMultiplexer.ConnectAsync(RedisConnection.Plain(endpoint).Options()));
    }

    [Fact]
    public async Task An_acl_user_gets_in_with_its_password_and_a_wrong_password_is_refused()
    {
        await using var server = await RedisServer.StartAsync(security: new RedisServerSecurity(Password: "acl-secret", User: "cohortly"));
        var endpoint = $"127.0.0.1:{server.Port},connectTimeout=3000";

        await SaveAndLoadModel(RedisConnection.From(Config(new()
        {
            ["ConnectionStrings:Redis"] = endpoint,
            ["Cohortly:Redis:User"] = "cohortly",
            ["Cohortly:Redis:Password"] = "acl-secret",
        })));
        // The default user is off: the right password without the user name does not get in.
        var passwordOnly = RedisConnection.From(Config(new() { ["ConnectionStrings:Redis"] = endpoint, ["Cohortly:Redis:Password"] = "acl-secret" }));
        await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectionMultiplexer.ConnectAsync(passwordOnly.Options()));

        var wrong = RedisConnection.From(Config(new()
        {
            ["ConnectionStrings:Redis"] = endpoint,
            ["Cohortly:Redis:User"] = "cohortly",
            ["Cohortly:Redis:Password"] = "not-the-password",
        }));
        await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectionMultiplexer.ConnectAsync(wrong.Options()));
    }

    [Fact]
    public async Task Over_tls_with_a_private_ca_a_client_certificate_and_an_acl_user_the_silo_keeps_state_streams_log_and_models()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var server = await RedisServer.StartAsync(security: new RedisServerSecurity(Password: "tls-secret", User: "silo", Tls: true, RequireClientCertificate: true));
        var settings = RedisModeCluster.Settings($"127.0.0.1:{server.Port},abortConnect=false", "tls-", partitions: 2);
        settings["Cohortly:Redis:Tls"] = "true";
        settings["Cohortly:Redis:User"] = "silo";
        settings["Cohortly:Redis:Password"] = "tls-secret";
        settings["Cohortly:Redis:CaCertificate"] = server.CaCertificatePath;
        settings["Cohortly:Redis:ClientCertificate"] = server.ClientCertificatePath;
        settings["Cohortly:Redis:ClientKey"] = server.ClientKeyPath;
        var configuration = Config(settings);
        Assert.True(RedisConnection.From(configuration).UsesTls);
        await using var cluster = await RedisModeCluster.Start(configuration);

        var received = DateTimeOffset.UtcNow;
        var events = new List<InteractionEvent>
        {
            new("tls-1", "tls-user", "i1", InteractionType.View, null, received.AddSeconds(-3), "web", received),
            new("tls-2", "tls-user", "i2", InteractionType.Purchase, 9.5, received.AddSeconds(-2), "web", received),
        };
        var streams = cluster.Client.GetStreamProvider(StreamNames.Provider);
        await streams.GetStream<InteractionEvent>(StreamId.Create(StreamNames.Interactions, "tls-user")).OnNextBatchAsync(events).WaitAsync(timeout.Token);

        // The stream reached the user grain, and the grain's write-behind saved its state, all through TLS.
        var user = cluster.Client.GetGrain<IUserGrain>("tls-user");
        await Eventually.True(async () => (await user.GetProfile())?.Counts.Values.Sum() == 2, "the user grain applied both events", TimeSpan.FromSeconds(30));
        var stateKeys = server.Multiplexer.GetServer(server.Multiplexer.GetEndPoints()[0]);
        await Eventually.True(async () =>
        {
            await foreach (var _ in stateKeys.KeysAsync(pattern: "*tls-user*"))
            {
                return true;
            }

            return false;
        }, "the user's state is stored in Redis", TimeSpan.FromSeconds(30));

        // Training's log and model store on the silo use the same secured connection.
        var log = cluster.Silos[0].ServiceProvider.GetRequiredService<IInteractionLog>();
        Assert.Equal(["i1", "i2"], (await log.ReadAsync(received.AddMinutes(-1), timeout.Token)).Events.Select(e => e.ItemId).Order(StringComparer.Ordinal));
        var models = cluster.Silos[0].ServiceProvider.GetRequiredService<IModelStore>();
        await models.SaveAsync(7, new byte[] { 7, 7 }, timeout.Token);
        Assert.Equal([7, 7], await models.LoadAsync(7, timeout.Token));
    }

    [Fact]
    public async Task A_redis_certificate_that_does_not_chain_to_the_configured_ca_is_refused()
    {
        await using var server = await RedisServer.StartAsync(security: new RedisServerSecurity(Tls: true));
        using var otherCa = TestCertificates.CreateCa("Some Other CA");
        using var directory = new TempDirectory();
        var (otherCaPath, _) = TestCertificates.WritePem(otherCa.Ca, directory.Path, "other-ca");
        var endpoint = $"127.0.0.1:{server.Port},connectTimeout=3000";

        var trustingOther = RedisConnection.From(Config(new() { ["ConnectionStrings:Redis"] = endpoint, ["Cohortly:Redis:Tls"] = "true", ["Cohortly:Redis:CaCertificate"] = otherCaPath }));
        await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectionMultiplexer.ConnectAsync(trustingOther.Options()));

        // Without a configured CA the system store decides, and it does not know the test CA either.
        var systemTrust = RedisConnection.From(Config(new() { ["ConnectionStrings:Redis"] = endpoint, ["Cohortly:Redis:Tls"] = "true" }));
        await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectionMultiplexer.ConnectAsync(systemTrust.Options()));

        // The right CA gets in (no client certificate asked for here).
        var trusting = RedisConnection.From(Config(new() { ["ConnectionStrings:Redis"] = endpoint, ["Cohortly:Redis:Tls"] = "true", ["Cohortly:Redis:CaCertificate"] = server.CaCertificatePath }));
        await using var connected = await ConnectionMultiplexer.ConnectAsync(trusting.Options());
        Assert.True(connected.IsConnected);
    }

    [Fact]
    public void Bad_redis_security_settings_stop_the_start_naming_each_key_and_never_the_password()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => CohortlyBackend.From(Config(new()
        {
            ["Cohortly:Cluster"] = "Redis",
            ["ConnectionStrings:Redis"] = "127.0.0.1:1",
            ["Cohortly:Redis:User"] = "cohortly",
            ["Cohortly:Redis:CaCertificate"] = "/nonexistent/ca.crt",
            ["Cohortly:Redis:ClientKey"] = "/nonexistent/client.key",
        })));

        Assert.Contains("Cohortly:Redis:User is set but Cohortly:Redis:Password is empty", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Cohortly:Redis:CaCertificate is set but Cohortly:Redis:Tls is false", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Cohortly:Redis:CaCertificate '/nonexistent/ca.crt' does not exist", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Cohortly:Redis:ClientKey is set without Cohortly:Redis:ClientCertificate", ex.Message, StringComparison.Ordinal);

        var withPassword = Assert.Throws<OptionsValidationException>(() => RedisConnection.From(Config(new()
        {
            ["ConnectionStrings:Redis"] = "127.0.0.1:1,password=hunter2-secret,notAnOption=1",
        })));
        Assert.Contains("ConnectionStrings:Redis is not a StackExchange.Redis configuration string", withPassword.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", withPassword.Message, StringComparison.Ordinal);
        Assert.Equal("127.0.0.1:1", RedisConnection.Plain("127.0.0.1:1,password=hunter2-secret").ToString());
    }
}
