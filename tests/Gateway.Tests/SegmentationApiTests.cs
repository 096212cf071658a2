using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;

namespace Cohortly.Gateway.Tests;

/// <summary>Own gateway: segmentation state is cluster-wide.</summary>
public sealed class SegmentationApiTests : IClassFixture<GatewayFactory>
{
    private readonly GatewayFactory _factory;

    public SegmentationApiTests(GatewayFactory factory) => _factory = factory;

    [Fact]
    public async Task Reclustering_needs_users_then_publishes_cohorts_with_labels_sizes_and_centroids()
    {
        var admin = _factory.Admin();
        var early = await admin.PostAsync("/v1/admin/segmentation", null);
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Equal("application/problem+json", early.Content.Headers.ContentType?.MediaType);

        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 60, Items = 200, UserPrefix = "api-" }, seed: 9);
        var items = world.Items.Select(i => new { id = i.Id, title = i.Title, categories = new[] { i.Category }, price = i.Price }).ToArray();
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/v1/items", new { items })).StatusCode);
        var history = world.History(DateTimeOffset.UtcNow, 14, new Random(1));
        foreach (var chunk in history.Chunk(1000))
        {
            var response = await admin.PostAsJsonAsync("/v1/events", WireEvents.Body(chunk, device: false));
            Assert.Equal(chunk.Length, (await response.Content.ReadFromJsonAsync<JsonNode>())!["accepted"]!.GetValue<int>());
        }

        JsonNode? version = null;
        await Eventually.True(async () =>
        {
            var response = await admin.PostAsync("/v1/admin/segmentation", null);
            version = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonNode>() : null;
            return version?["sampleSize"]!.GetValue<int>() == 60;
        }, "all users are sampled");

        Assert.Equal(3, version!["cohorts"]!.AsArray().Count);
        var quality = version["quality"]!;
        Assert.Equal("kmeans", quality["algorithm"]!.GetValue<string>());
        Assert.InRange(quality["silhouette"]!.GetValue<double>(), 0, 1);
        Assert.Equal(60, quality["silhouetteSample"]!.GetValue<int>());
        Assert.True(quality["daviesBouldin"]!.GetValue<double>() > 0);
        Assert.True(quality["inertia"]!.GetValue<double>() > 0);
        Assert.Equal(60, quality["clusterSizes"]!.AsArray().Sum(n => n!.GetValue<int>()));
        Assert.Null(quality["noiseShare"]);
        var kept = await admin.GetFromJsonAsync<JsonNode>("/v1/admin/segmentation");
        Assert.Equal(quality.ToJsonString(), kept![0]!["quality"]!.ToJsonString());
        var list = await admin.GetFromJsonAsync<JsonNode>("/v1/cohorts");
        Assert.Equal(quality.ToJsonString(), list!["quality"]!.ToJsonString());
        Assert.Equal(version["version"]!.GetValue<long>(), list!["segmentationVersion"]!.GetValue<long>());
        var cohorts = list["cohorts"]!.AsArray();
        Assert.Equal(3, cohorts.Count);
        Assert.All(cohorts, c =>
        {
            Assert.False(string.IsNullOrWhiteSpace(c!["label"]!.GetValue<string>()));
            Assert.Equal(15, c["centroid"]!.AsArray().Count);
        });

        Assert.Equal(60, cohorts.Sum(c => c!["sampledUsers"]!.GetValue<int>()));
        var firstId = cohorts[0]!["id"]!.GetValue<int>();
        var one = await admin.GetFromJsonAsync<JsonNode>($"/v1/cohorts/{firstId}");
        Assert.Equal(cohorts[0]!["label"]!.GetValue<string>(), one!["label"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/v1/cohorts/999")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/v1/cohorts/minus-one")).StatusCode);

        // Silos follow the published version by a cheap poll (Cohortly:CachePoll), so the user's
        // membership shows once the user's silo has the new version, not necessarily the instant the POST returns.
        await Eventually.True(
            async () => (await admin.GetFromJsonAsync<JsonNode>($"/v1/users/{world.Users[0].Id}"))?["cohort"] is not null,
            "the user's silo assigns the user to a cohort of the new version");
    }
}
