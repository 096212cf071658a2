using Cohortly.Grains.Hosting;
using Cohortly.Grains.Hosting.Embedded;
using Cohortly.Grains.Hosting.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Tests;

public sealed class BackendTests
{
    private static IConfiguration Config(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    [Fact]
    public void Cluster_setting_chooses_the_backend_and_only_embedded_runs_in_process()
    {
        var embedded = CohortlyBackend.From(Config([]));
        var redis = CohortlyBackend.From(Config(new() { ["Cohortly:Cluster"] = "Redis", ["ConnectionStrings:Redis"] = "127.0.0.1:1" }));

        Assert.IsType<EmbeddedBackend>(embedded);
        Assert.True(embedded.InProcess);
        Assert.IsType<RedisBackend>(redis);
        Assert.False(redis.InProcess);
    }

    [Fact]
    public void An_unknown_backend_fails_at_start_naming_the_setting_and_the_known_backends()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => CohortlyBackend.From(Config(new() { ["Cohortly:Cluster"] = "Postgres" })));

        Assert.Contains("Cohortly:Cluster", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'Embedded'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'Redis'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Redis_backend_without_a_connection_string_fails_naming_it()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => CohortlyBackend.From(Config(new() { ["Cohortly:Cluster"] = "Redis" })));

        Assert.Contains("ConnectionStrings:Redis", ex.Message, StringComparison.Ordinal);
    }
}
