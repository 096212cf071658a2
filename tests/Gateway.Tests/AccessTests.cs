using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cohortly.Gateway.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Cohortly.Gateway.Tests;

/// <summary>Roles, named keys, the role matrix of every endpoint, and the audit trail.</summary>
public sealed partial class AccessTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    /// <summary>Who may call an endpoint. <see cref="Read"/> and <see cref="App"/> decide by method (see <see cref="Expected"/>).</summary>
    private enum Access
    {
        Public,
        AnyKey,
        App,
        Read,
        Admin,

        /// <summary>Behind the admin policy, and switched off by its owner for every key (the Orleans Dashboard's log trace).</summary>
        Off,
    }

    /// <summary>
    /// Every endpoint of the gateway, by method and route pattern. The matrix test fails while an endpoint is missing
    /// here (so a new endpoint's access is a decision someone wrote down) or listed here but gone.
    /// </summary>
    private static readonly Dictionary<string, Access> Table = new(StringComparer.Ordinal)
    {
        ["GET /healthz"] = Access.Public,
        ["GET /readyz"] = Access.Public,
        ["GET /openapi/{documentName}.json"] = Access.Public,
        ["GET /v1/me/"] = Access.AnyKey,
        ["POST /v1/events/"] = Access.App,
        ["GET /v1/users/{userId}"] = Access.App,
        ["GET /v1/users/{userId}/recommendations"] = Access.App,
        ["PUT /v1/users/{userId}/attributes"] = Access.App,
        ["PUT /v1/users/{userId}/consent"] = Access.App,
        ["DELETE /v1/users/{userId}"] = Access.Admin,
        ["GET /v1/users/{userId}/export"] = Access.Admin,
        ["GET /v1/users/{userId}/propensity"] = Access.Read,
        ["GET /v1/items/{itemId}/similar"] = Access.App,
        ["PUT /v1/items/"] = Access.Read,
        ["GET /v1/items/{itemId}"] = Access.Read,
        ["GET /v1/cohorts/"] = Access.Read,
        ["GET /v1/cohorts/{cohortId}"] = Access.Read,
        ["GET /v1/cohorts/{cohortId}/policy"] = Access.Read,
        ["PUT /v1/cohorts/{cohortId}/policy"] = Access.Read,
        ["DELETE /v1/cohorts/{cohortId}/policy"] = Access.Read,
        ["GET /v1/outcomes/"] = Access.Read,
        ["GET /v1/cohorts/{cohortId}/outcomes"] = Access.Read,
        ["GET /v1/cohorts/{cohortId}/policy-evaluation"] = Access.Read,
        ["GET /v1/cohorts/map"] = Access.Read,
        ["GET /v1/cohorts/{cohortId}/traits"] = Access.Read,
        ["GET /v1/users/{userId}/cohort-fit"] = Access.App,
        ["POST /v1/admin/segmentation"] = Access.Read,
        ["GET /v1/admin/segmentation"] = Access.Read,
        ["GET /v1/admin/stats"] = Access.Read,
        ["POST /v1/admin/training/"] = Access.Read,
        ["GET /v1/admin/training/"] = Access.Read,
        ["GET /v1/models/"] = Access.Read,
        ["GET /v1/models/{version}"] = Access.Read,
        ["POST /v1/models/{version}/activate"] = Access.Read,
        ["GET /v1/admin/audit/"] = Access.Admin,
        ["GET /v1/admin/cluster"] = Access.Admin,
        ["GET /orleans/Trace"] = Access.Off,
        ["POST /v1/experiments/"] = Access.Read,
        ["GET /v1/experiments/"] = Access.Read,
        ["GET /v1/experiments/{id}"] = Access.Read,
        ["GET /v1/experiments/{id}/results"] = Access.Read,
        ["POST /v1/experiments/{id}/stop"] = Access.Read,
        ["GET /v1/alerts/"] = Access.Read,
        ["GET /v1/drift/history"] = Access.Read,
        ["GET /v1/rules/"] = Access.Read,
        ["PUT /v1/rules/"] = Access.Read,
    };

    /// <summary>
    /// The Orleans Dashboard's own endpoints (the package maps its pages and data routes under /orleans): admin only,
    /// every one of them, so they are matched by prefix and still each called in the matrix.
    /// </summary>
    private static Access? AccessOf(string endpoint) =>
        Table.TryGetValue(endpoint, out var access) ? access
        : endpoint[(endpoint.IndexOf(' ', StringComparison.Ordinal) + 1)..].StartsWith("/orleans", StringComparison.Ordinal) ? Access.Admin
        : null;

    private static readonly string[] Callers = ["none", "wrong", Roles.App, Roles.Analyst, Roles.Admin];

    /// <summary>The status class each caller must get: 401, 403, or anything else (allowed).</summary>
    private static HttpStatusCode? Expected(Access access, string method, string caller)
    {
        var safe = method is "GET" or "HEAD";
        if (access == Access.Public)
        {
            return null;
        }

        if (caller is "none" or "wrong")
        {
            return HttpStatusCode.Unauthorized;
        }

        var allowed = access switch
        {
            Access.AnyKey => true,
            Access.App => caller is Roles.App or Roles.Admin,
            Access.Read => caller == Roles.Admin || (safe && caller == Roles.Analyst),
            Access.Off => false,
            _ => caller == Roles.Admin,
        };
        return allowed ? null : HttpStatusCode.Forbidden;
    }

    private HttpClient Caller(string caller) => caller switch
    {
        "none" => factory.CreateClient(),
        "wrong" => factory.WithKey("not-a-configured-key"),
        Roles.App => factory.App(),
        Roles.Analyst => factory.Analyst(),
        _ => factory.Admin(),
    };

    /// <summary>Every endpoint the app maps, as "METHOD /pattern" (endpoints without a method filter as GET).</summary>
    private List<string> MappedEndpoints()
    {
        _ = factory.Server;
        var endpoints = new List<string>();
        foreach (var endpoint in factory.Services.GetRequiredService<EndpointDataSource>().Endpoints)
        {
            if (endpoint is not RouteEndpoint route)
            {
                continue;
            }

            var pattern = route.RoutePattern.RawText ?? "";
            pattern = pattern.StartsWith('/') ? pattern : "/" + pattern;
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in methods)
            {
                endpoints.Add($"{method} {pattern}");
            }
        }

        return endpoints;
    }

    [Fact]
    public async Task Every_endpoint_answers_each_role_as_the_access_table_says()
    {
        var mapped = MappedEndpoints();
        var missing = mapped.Where(e => AccessOf(e) is null).ToList();
        var gone = Table.Keys.Where(e => !mapped.Contains(e)).ToList();
        Assert.True(missing.Count == 0, "Endpoints missing from the access table in AccessTests: " + string.Join(", ", missing));
        Assert.True(gone.Count == 0, "Access table entries no endpoint maps any more: " + string.Join(", ", gone));

        var failures = new List<string>();
        foreach (var endpoint in mapped)
        {
            var method = endpoint[..endpoint.IndexOf(' ', StringComparison.Ordinal)];
            var path = ParameterPattern().Replace(IntParameterPattern().Replace(endpoint[(method.Length + 1)..], "1"), "matrix-1");
            foreach (var caller in Callers)
            {
                using var client = Caller(caller);
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method is "POST" or "PUT")
                {
                    request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                }

                using var response = await client.SendAsync(request);
                var expected = Expected(AccessOf(endpoint)!.Value, method, caller);
                var status = response.StatusCode;
                var ok = expected is { } e ? status == e : status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests);
                if (!ok)
                {
                    failures.Add($"{endpoint} as {caller}: {(int)status}, expected {(expected is { } x ? ((int)x).ToString(System.Globalization.CultureInfo.InvariantCulture) : "not 401/403")}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public async Task Every_admin_action_in_the_endpoint_table_is_audited_even_when_refused()
    {
        // Generated from the mapped endpoints: any method but GET on an endpoint whose policy needs the admin role
        // for it. A new admin endpoint is covered by the middleware without anything added to it.
        var actions = MappedEndpoints().Where(e => !e.StartsWith("GET ", StringComparison.Ordinal) && AccessOf(e) is Access.Read or Access.Admin).ToList();
        Assert.NotEmpty(actions);
        using var analyst = factory.Analyst();
        foreach (var action in actions)
        {
            var method = action[..action.IndexOf(' ', StringComparison.Ordinal)];
            var path = ParameterPattern().Replace(action[(method.Length + 1)..], "audit-1");
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
            Assert.Equal(HttpStatusCode.Forbidden, (await analyst.SendAsync(request)).StatusCode);
        }

        var entries = await AuditEntries($"keyName={Roles.Analyst}&limit=1000");
        foreach (var action in actions)
        {
            Assert.Contains(entries, e => e["action"]!.GetValue<string>() == action && e["status"]!.GetValue<int>() == 403 && e["role"]!.GetValue<string>() == Roles.Analyst);
        }
    }

    [Fact]
    public async Task Admin_action_is_recorded_with_key_role_action_target_and_outcome()
    {
        using var ops = factory.WithKey(GatewayFactory.OpsKey);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var response = await ops.PostAsync("/v1/models/not-a-version/activate", null);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);

        var entry = Assert.Single(await AuditEntries($"keyName={GatewayFactory.OpsName}&action=POST%20/v1/models"), e => e["target"]?["version"]?.GetValue<string>() == "not-a-version");
        Assert.Equal(GatewayFactory.OpsName, entry["keyName"]!.GetValue<string>());
        Assert.Equal(Roles.Admin, entry["role"]!.GetValue<string>());
        Assert.Equal("POST /v1/models/{version}/activate", entry["action"]!.GetValue<string>());
        Assert.Equal("not-a-version", entry["target"]!["version"]!.GetValue<string>());
        Assert.Equal(400, entry["status"]!.GetValue<int>());
        Assert.True(entry["at"]!.GetValue<DateTimeOffset>() >= before);
    }

    [Fact]
    public async Task Admin_reads_of_a_users_data_are_audited_and_app_reads_are_not()
    {
        await factory.Admin().GetAsync("/v1/users/audited-user/recommendations?count=3");
        await factory.App().GetAsync("/v1/users/app-read-user/recommendations?count=3");
        await factory.App().GetAsync("/v1/users/app-read-user");

        var entries = await AuditEntries("limit=1000");
        var read = Assert.Single(entries, e => e["target"]?["userId"]?.GetValue<string>() == "audited-user");
        Assert.Equal("GET /v1/users/{userId}/recommendations", read["action"]!.GetValue<string>());
        Assert.Equal(Roles.Admin, read["keyName"]!.GetValue<string>());
        Assert.DoesNotContain(entries, e => e["target"]?["userId"]?.GetValue<string>() == "app-read-user");
    }

    [Fact]
    public async Task Audit_trail_pages_newest_first_with_a_cursor_and_filters()
    {
        using var ops = factory.WithKey(GatewayFactory.OpsKey);
        for (var i = 0; i < 5; i++)
        {
            await ops.PostAsync($"/v1/models/page-{i}/activate", null);
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await Json(await factory.Admin().GetAsync($"/v1/admin/audit?limit=2&keyName={GatewayFactory.OpsName}&action=POST%20/v1/models{(cursor is null ? "" : "&cursor=" + cursor)}"));
            var entries = page["entries"]!.AsArray();
            Assert.InRange(entries.Count, 1, 2);
            seen.AddRange(entries.Select(e => e!["target"]!["version"]!.GetValue<string>()).Where(v => v.StartsWith("page-", StringComparison.Ordinal)));
            cursor = page["next"]?.GetValue<string>();
        }
        while (cursor is not null);

        Assert.Equal(["page-4", "page-3", "page-2", "page-1", "page-0"], seen);
        Assert.Empty(await AuditEntries($"keyName={GatewayFactory.OpsName}&since={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))}"));
        Assert.Empty(await AuditEntries($"keyName={GatewayFactory.OpsName}&until={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"))}"));
        Assert.Empty(await AuditEntries($"keyName={GatewayFactory.OpsName}&action=PUT"));

        var badCursor = await factory.Admin().GetAsync("/v1/admin/audit?cursor=zzz");
        Assert.Equal(HttpStatusCode.BadRequest, badCursor.StatusCode);
        Assert.Contains("cursor", await badCursor.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await factory.Admin().GetAsync("/v1/admin/audit?limit=0")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await factory.Analyst().GetAsync("/v1/admin/audit")).StatusCode);
    }

    [Fact]
    public async Task Me_names_the_key_and_a_rotating_clients_old_and_new_keys_are_the_same_client()
    {
        foreach (var key in new[] { GatewayFactory.ShopKey, GatewayFactory.ShopPreviousKey })
        {
            var me = await factory.WithKey(key).GetFromJsonAsync<JsonObject>("/v1/me");
            Assert.Equal(GatewayFactory.ShopName, me!["name"]!.GetValue<string>());
            Assert.Equal(Roles.App, me["role"]!.GetValue<string>());
        }

        var analyst = await factory.Analyst().GetFromJsonAsync<JsonObject>("/v1/me");
        Assert.Equal(Roles.Analyst, analyst!["role"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.CreateClient().GetAsync("/v1/me")).StatusCode);
    }

    [Fact]
    public void Key_settings_are_refused_with_a_message_naming_each_problem()
    {
        var options = new ApiKeyOptions
        {
            Admin = "an-admin-key-of-some-length",
            Keys =
            [
                new NamedApiKey { Name = "shop", Role = "app", Key = "shop-key-0123456789" },
                new NamedApiKey { Name = "shop", Role = "app", Key = "shop-key-abcdefghij" },
                new NamedApiKey { Name = "crm", Role = "superuser", Key = "" },
                new NamedApiKey { Name = "admin", Role = "admin", Key = "an-admin-key-of-some-length" },
                new NamedApiKey { Name = "bad name!", Role = "analyst", Key = "short" },
            ],
        };

        var problems = options.Problems();
        Assert.Contains(problems, p => p.Contains("Two API keys are named 'shop'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Keys:2:Role 'superuser' is not a role", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Keys:2:Key is empty", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Two API keys are named 'admin'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("also configured for another entry", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Keys:4:Name 'bad name!'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Keys:4:Key is shorter than 16", StringComparison.Ordinal));
        Assert.Empty(new ApiKeyOptions { Keys = [new NamedApiKey { Name = "shop", Role = "app", Key = "shop-key-0123456789", PreviousKey = "shop-key-previous-1" }] }.Problems());
    }

    [Fact]
    public void A_gateway_with_an_unknown_role_does_not_start()
    {
        using var bad = new GatewayFactory().WithWebHostBuilder(b => b.UseSetting("Cohortly:ApiKeys:Keys:2:Name", "crm").UseSetting("Cohortly:ApiKeys:Keys:2:Role", "root").UseSetting("Cohortly:ApiKeys:Keys:2:Key", "crm-key-0123456789"));
        var error = Assert.ThrowsAny<Exception>(() => bad.CreateClient());
        Assert.Contains("Keys:2:Role 'root' is not a role", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApi_document_names_each_operations_roles_and_the_429()
    {
        var document = JsonNode.Parse(await factory.CreateClient().GetStringAsync("/openapi/v1.json"))!;
        var audit = document["paths"]!["/v1/admin/audit"]!["get"]!["responses"]!;
        Assert.Contains("admin key", audit["403"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(audit["429"]);
        var training = document["paths"]!["/v1/admin/training"]!["post"]!["responses"]!;
        Assert.Contains("GET: analyst or admin key; other methods: admin key", training["403"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private async Task<List<JsonNode>> AuditEntries(string query)
    {
        var response = await factory.Admin().GetAsync("/v1/admin/audit?" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await Json(response))["entries"]!.AsArray().Select(e => e!)];
    }

    private static async Task<JsonNode> Json(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex ParameterPattern();

    [GeneratedRegex(@"\{[^}]*:int\}")]
    private static partial Regex IntParameterPattern();
}

/// <summary>A gateway whose analyst keys may read users' data and are limited to three requests an hour.</summary>
public sealed class RestrictedGatewayFactory : WebApplicationFactory<Program>
{
    public const string SecondAnalystName = "bi-tool";
    public const string SecondAnalystKey = "test-bi-tool-analyst-key";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        GatewayFactory.Configure(builder);
        builder.UseSetting("Cohortly:ApiKeys:AnalystReadsUsers", "true");
        builder.UseSetting("Cohortly:ApiKeys:Keys:2:Name", SecondAnalystName);
        builder.UseSetting("Cohortly:ApiKeys:Keys:2:Role", "analyst");
        builder.UseSetting("Cohortly:ApiKeys:Keys:2:Key", SecondAnalystKey);
        builder.UseSetting("Cohortly:RateLimits:Analyst:Permits", "3");
        builder.UseSetting("Cohortly:RateLimits:Analyst:Period", "01:00:00");
    }

    public HttpClient WithKey(string key)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }
}

public sealed class RestrictedAccessTests(RestrictedGatewayFactory factory) : IClassFixture<RestrictedGatewayFactory>
{
    [Fact]
    public async Task A_key_over_its_roles_limit_gets_429_with_retry_after_and_other_keys_are_unaffected()
    {
        using var analyst = factory.WithKey(GatewayFactory.AnalystKey);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await analyst.GetAsync("/v1/cohorts")).StatusCode);
        }

        var limited = await analyst.GetAsync("/v1/cohorts");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        var retryAfter = limited.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));

        // Partitioned by key name: the admin key and another analyst key have their own buckets.
        using var admin = factory.WithKey(GatewayFactory.AdminKey);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/v1/cohorts")).StatusCode);
        }

        using var other = factory.WithKey(GatewayFactory.ShopKey);
        Assert.NotEqual(HttpStatusCode.TooManyRequests, (await other.GetAsync("/v1/users/someone/recommendations")).StatusCode);
    }

    [Fact]
    public async Task Analyst_reads_a_users_profile_when_allowed_and_the_read_is_audited()
    {
        using var analyst = factory.WithKey(RestrictedGatewayFactory.SecondAnalystKey);
        var profile = await analyst.GetAsync("/v1/users/looked-up-user");
        Assert.NotEqual(HttpStatusCode.Forbidden, profile.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await analyst.PutAsJsonAsync("/v1/users/looked-up-user/attributes", new { country = "NL" })).StatusCode);

        using var admin = factory.WithKey(GatewayFactory.AdminKey);
        var page = JsonNode.Parse(await admin.GetStringAsync($"/v1/admin/audit?keyName={RestrictedGatewayFactory.SecondAnalystName}"))!;
        var entries = page["entries"]!.AsArray();
        var read = Assert.Single(entries, e => e!["action"]!.GetValue<string>() == "GET /v1/users/{userId}");
        Assert.Equal("looked-up-user", read!["target"]!["userId"]!.GetValue<string>());
        Assert.Equal(Roles.Analyst, read["role"]!.GetValue<string>());
        Assert.Equal((int)profile.StatusCode, read["status"]!.GetValue<int>());
    }
}
