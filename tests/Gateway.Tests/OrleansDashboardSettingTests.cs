using System.Net;
using System.Text.Json.Nodes;
using Cohortly.Gateway.Hosting;
using Cohortly.Grains.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace Cohortly.Gateway.Tests;

/// <summary>
/// Where the Orleans Dashboard runs when nobody says: only on the embedded gateway with its demo traffic (its metric
/// reader walks every activation each second), and exactly as configured otherwise.
/// </summary>
public sealed class OrleansDashboardSettingTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    private static readonly (string, string)[] Redis = [("Cohortly:Cluster", "Redis"), ("ConnectionStrings:Redis", "127.0.0.1:1")];

    private static bool Enabled(params (string Key, string Value)[] values)
    {
        var configuration = Config(values);
        return GatewayHosting.OrleansDashboardEnabled(configuration, CohortlyBackend.From(configuration));
    }

    [Fact]
    public void Unset_it_runs_only_where_the_embedded_gateway_runs_its_demo()
    {
        Assert.True(Enabled());
        Assert.True(Enabled(("Cohortly:Demo:Enabled", "true")));
        Assert.False(Enabled(("Cohortly:Demo:Enabled", "false")));
        Assert.False(Enabled(Redis));
        // A cluster gateway with demo traffic still has silos without the dashboard: off unless set on both.
        Assert.False(Enabled([.. Redis, ("Cohortly:Demo:Enabled", "true")]));
    }

    [Fact]
    public void Set_it_wins_in_either_direction_in_both_modes()
    {
        Assert.False(Enabled((CohortlyOrleansDashboard.EnabledKey, "false")));
        Assert.True(Enabled(("Cohortly:Demo:Enabled", "false"), (CohortlyOrleansDashboard.EnabledKey, "true")));
        Assert.True(Enabled([.. Redis, (CohortlyOrleansDashboard.EnabledKey, "True")]));
        Assert.False(CohortlyOrleansDashboard.Enabled(Config(), byDefault: false));
        Assert.True(CohortlyOrleansDashboard.Enabled(Config((CohortlyOrleansDashboard.EnabledKey, "true")), byDefault: false));
    }

    [Fact]
    public void A_value_that_is_not_a_boolean_fails_at_start_naming_the_setting()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Enabled((CohortlyOrleansDashboard.EnabledKey, "yes")));
        Assert.Contains(CohortlyOrleansDashboard.EnabledKey, ex.Message, StringComparison.Ordinal);
        Assert.Contains("'yes'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gateway_without_it_serves_no_pages_under_orleans_and_says_so_in_the_cluster_panel()
    {
        await using var factory = new WithoutOrleansDashboard();
        using var admin = factory.CreateClient();
        admin.DefaultRequestHeaders.Add("X-Api-Key", GatewayFactory.AdminKey);

        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/orleans/")).StatusCode);
        var cluster = JsonNode.Parse(await admin.GetStringAsync("/v1/admin/cluster"))!;
        Assert.False(cluster["orleansDashboard"]!.GetValue<bool>());
        Assert.True(cluster["embedded"]!.GetValue<bool>());
    }

    private sealed class WithoutOrleansDashboard : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            GatewayFactory.Configure(builder);
            builder.UseSetting(CohortlyOrleansDashboard.EnabledKey, "false");
        }
    }
}
