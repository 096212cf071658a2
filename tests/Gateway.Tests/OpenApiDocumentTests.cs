using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Cohortly.Gateway.Tests;

/// <summary>The served OpenAPI document describes what the endpoints really do: their auth, and their typed responses.</summary>
public sealed class OpenApiDocumentTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    [Fact]
    public async Task Document_declares_the_api_key_header_scheme()
    {
        var doc = await Document();
        var scheme = doc["components"]?["securitySchemes"]?["ApiKey"];
        Assert.NotNull(scheme);
        Assert.Equal("apiKey", scheme["type"]?.GetValue<string>());
        Assert.Equal("header", scheme["in"]?.GetValue<string>());
        Assert.Equal("X-Api-Key", scheme["name"]?.GetValue<string>());
    }

    [Fact]
    public async Task Every_v1_operation_requires_the_api_key_and_lists_401_and_403_while_health_stays_public()
    {
        var operations = Operations(await Document()).ToList();
        var v1 = operations.Where(o => o.Path.StartsWith("/v1/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(v1);
        foreach (var (path, method, operation) in v1)
        {
            var security = operation["security"]?.AsArray();
            Assert.True(security is not null && security.Any(r => r?["ApiKey"] is not null), $"{method} {path} does not declare the ApiKey requirement");
            var responses = operation["responses"]!.AsObject();
            Assert.True(responses.ContainsKey("401"), $"{method} {path} does not list 401");
            Assert.True(responses.ContainsKey("403"), $"{method} {path} does not list 403");
        }

        foreach (var health in new[] { "/healthz", "/readyz" })
        {
            var (_, _, operation) = Assert.Single(operations, o => o.Path == health);
            Assert.Null(operation["security"]);
            Assert.False(operation["responses"]!.AsObject().ContainsKey("401"), $"{health} is public and must not list 401");
        }
    }

    [Fact]
    public async Task Every_v1_endpoint_has_a_success_response_with_a_schema()
    {
        var doc = await Document();
        var schemas = doc["components"]?["schemas"]?.AsObject();
        var documented = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, method, operation) in Operations(doc).Where(o => o.Path.StartsWith("/v1/", StringComparison.Ordinal)))
        {
            documented.Add($"{method.ToUpperInvariant()} {path}");
            var success = operation["responses"]!.AsObject().Where(r => r.Key.StartsWith('2')).ToList();
            var (status, response) = Assert.Single(success);
            var schema = response?["content"]?["application/json"]?["schema"];
            Assert.True(schema is not null, $"{method} {path} {status} has no JSON schema (an untyped IResult?)");
            if (schema["$ref"]?.GetValue<string>() is { } reference)
            {
                var name = reference[(reference.LastIndexOf('/') + 1)..];
                Assert.True(schemas?.ContainsKey(name) == true, $"{method} {path} refers to a missing schema {name}");
            }
        }

        // Every mapped /v1 route is in the document, so an endpoint cannot drop out of it unnoticed.
        var mapped = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/v1/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {Normalize(e.RoutePattern.RawText!)}"))
            .ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(mapped);
        Assert.Subset(documented, mapped);
    }

    [Fact]
    public async Task Validation_and_not_found_responses_are_problem_details()
    {
        var doc = await Document();
        var getUser = doc["paths"]!["/v1/users/{userId}"]!["get"]!["responses"]!.AsObject();
        Assert.True(getUser.ContainsKey("400"));
        Assert.True(getUser.ContainsKey("404"));
        Assert.NotNull(getUser["400"]!["content"]?["application/problem+json"]?["schema"]);
        var postEvents = doc["paths"]!["/v1/events"]!["post"]!["responses"]!.AsObject();
        Assert.True(postEvents.ContainsKey("202"));
        Assert.True(postEvents.ContainsKey("413"));
        Assert.True(postEvents.ContainsKey("503"));
    }

    private static string Normalize(string pattern) => pattern.Length > 1 ? pattern.TrimEnd('/') : pattern;

    private async Task<JsonNode> Document()
    {
        var text = await factory.CreateClient().GetStringAsync("/openapi/v1.json");
        return JsonNode.Parse(text)!;
    }

    private static IEnumerable<(string Path, string Method, JsonNode Operation)> Operations(JsonNode doc)
    {
        foreach (var (path, item) in doc["paths"]!.AsObject())
        {
            foreach (var method in Methods)
            {
                if (item?[method] is { } operation)
                {
                    yield return (path, method, operation);
                }
            }
        }
    }
}
