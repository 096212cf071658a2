using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Cohortly.Contracts;
using Cohortly.Gateway.Hosting;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Cohortly.Gateway.Tests;

/// <summary>The generated JSON metadata for hot responses must write exactly what reflection wrote before it.</summary>
public sealed class JsonContractTests
{
    private static readonly JsonSerializerOptions Reflection = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.Strict,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    private static JsonSerializerOptions GatewayOptions()
    {
        var services = new ServiceCollection();
        services.AddGatewayJson();
        return services.BuildServiceProvider().GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
    }

    [Fact]
    public void Recommendation_responses_come_from_generated_metadata_and_read_as_before()
    {
        var options = GatewayOptions();
        var response = new RecommendationResponse(
            "0196f1c2a3b47c8d9e0f112233445566",
            "user-1",
            3,
            "frequent shoppers",
            "cohort-model",
            [
                new RecommendedItem("item-1", 0.5, "because you viewed Item 9", true, [new ScoreContribution("ials", 0.25), new ScoreContribution("popularity", -0.125)]),
                new RecommendedItem("item-2", -1.25, "popular in your cohort"),
            ],
            7,
            true,
            "cohort 3 has no model in version 7")
        {
            ProvisionalCohort = true,
        };

        Assert.IsType<GatewayJsonContext>(options.GetTypeInfo(typeof(RecommendationResponse)).OriginatingResolver);
        Assert.Equal(JsonSerializer.Serialize(response, Reflection), JsonSerializer.Serialize(response, options));
        Assert.Contains("\"provisionalCohort\":true", JsonSerializer.Serialize(response, options), StringComparison.Ordinal);
    }

    [Fact]
    public void Similar_items_responses_come_from_generated_metadata_and_read_as_before()
    {
        var options = GatewayOptions();
        var response = new SimilarItemsResponse("item-1", 4, [new RecommendedItem("item-2", 0.875, "often chosen together with Item 1")]);

        Assert.IsType<GatewayJsonContext>(options.GetTypeInfo(typeof(SimilarItemsResponse)).OriginatingResolver);
        Assert.Equal(JsonSerializer.Serialize(response, Reflection), JsonSerializer.Serialize(response, options));
    }
}
