using System.Text.Json.Nodes;
using Cohortly.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Cohortly.Gateway.Tests;

public sealed class DriftAlertsApiTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    [Fact]
    public async Task A_drift_alert_shows_its_action_and_outcome_and_an_alert_without_one_shows_none()
    {
        var grains = factory.Services.GetRequiredService<IGrainFactory>();
        var at = new DateTimeOffset(2026, 12, 5, 9, 0, 0, TimeSpan.Zero);
        await grains.RaiseAlert(new AlertInput("drift-reward-rate", 731, "clicks per impression: newer − older", -0.03, -0.012, "Cohort 731's clicks per impression dropped.")
        {
            Action = new AlertActionRecord(DriftAction.ServeGlobal, DriftActionOutcome.Succeeded, "cohort 731 is served by the global weights until the next activated model version", at),
        });
        await grains.RaiseAlert(new AlertInput("drift-fallback-share", 732, "share", 0.2, 0.05, "jump") { Action = new AlertActionRecord(DriftAction.Retrain, DriftActionOutcome.Failed, "TimeoutException: no answer", at) });
        await grains.RaiseAlert(new AlertInput("experiment-guardrail", 733, "p", 0.001, 0.05, "returned"));

        var held = (await Single("/v1/alerts?cohortId=731"))["action"]!;
        Assert.Equal("serve-global", (string?)held["action"]);
        Assert.Equal("succeeded", (string?)held["outcome"]);
        Assert.Contains("global weights", (string?)held["detail"], StringComparison.Ordinal);
        Assert.Equal(at, (DateTimeOffset)held["at"]!);

        var failed = (await Single("/v1/alerts?cohortId=732"))["action"]!;
        Assert.Equal("retrain", (string?)failed["action"]);
        Assert.Equal("failed", (string?)failed["outcome"]);
        Assert.Equal("TimeoutException: no answer", (string?)failed["detail"]);

        Assert.Null((await Single("/v1/alerts?cohortId=733"))["action"]);
    }

    [Fact]
    public async Task A_retrain_shows_pending_with_its_run_then_the_run_s_result_once_the_run_reports()
    {
        var grains = factory.Services.GetRequiredService<IGrainFactory>();
        var at = new DateTimeOffset(2026, 12, 5, 9, 0, 0, TimeSpan.Zero);
        await grains.RaiseAlert(new AlertInput("drift-reward-rate", 741, "rate", -0.03, -0.012, "drop")
        {
            Action = new AlertActionRecord(DriftAction.Retrain, DriftActionOutcome.Pending, "training run r741 queued (running)", at) { RunId = "r741" },
        });

        var pending = (await Single("/v1/alerts?cohortId=741"))["action"]!;
        Assert.Equal("pending", (string?)pending["outcome"]);
        Assert.Equal("r741", (string?)pending["runId"]);
        Assert.Null(pending["run"]);

        await grains.GetGrain<IAlertGrain>(IAlertGrain.Key).RecordRunOutcome(new TrainingRunOutcome("r741", TrainingRunResult.Rejected, 12, "worse than the active version beyond the 2.0 % tolerance: cohort 3", at.AddMinutes(2)));

        var rejected = (await Single("/v1/alerts?cohortId=741"))["action"]!;
        Assert.Equal("rejected", (string?)rejected["outcome"]);
        Assert.Equal(at.AddMinutes(2), (DateTimeOffset)rejected["at"]!);
        Assert.Contains("rejected model version 12", (string?)rejected["detail"], StringComparison.Ordinal);
        var run = rejected["run"]!;
        Assert.Equal("r741", (string?)run["runId"]);
        Assert.Equal("rejected", (string?)run["result"]);
        Assert.Equal(12, (long)run["version"]!);
        Assert.Contains("cohort 3", (string?)run["reason"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cohort_held_on_the_global_weights_shows_since_when_until_a_version_is_adopted()
    {
        var cohort = factory.Services.GetRequiredService<IGrainFactory>().GetGrain<ICohortGrain>(0);
        Assert.Null((await Json("/v1/cohorts"))["global"]!["globalHoldSince"]);

        var held = await cohort.ServeGlobalUntilNextVersion("drift-reward-rate: test");
        Assert.Equal(held.GlobalHoldSince, (DateTimeOffset?)(await Json("/v1/cohorts"))["global"]!["globalHoldSince"]);

        await cohort.AdoptModel(1, adapted: false, proposedPolicy: null);
        Assert.Null((await Json("/v1/cohorts"))["global"]!["globalHoldSince"]);
    }

    [Fact]
    public async Task Drift_history_lists_each_features_psi_per_pass_with_its_threshold_and_refuses_bad_filters_naming_the_field()
    {
        var grains = factory.Services.GetRequiredService<IGrainFactory>();
        var segmentation = grains.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key);
        var random = new Random(5);
        float[][] Users(int n, float shift) => [.. Enumerable.Range(0, n).Select(_ => new[] { (float)random.NextDouble() + shift, (float)random.NextDouble(), (float)random.NextDouble() })];
        var version = ((await segmentation.GetCurrent())?.Version ?? 0) + 1;
        var built = Modeling.Segmentation.SegmentationVersions.Build(Modeling.Segmentation.FeatureMatrix.FromRows(Users(600, 0)), ["spend", "visits", "share"], null, version, new Modeling.Segmentation.SegmentationOptions { K = 2 }, Modeling.Segmentation.SegmentationRunKind.SegmentationOnly);
        await segmentation.Publish(SegmentationVersionInfo.From(built, DateTimeOffset.UtcNow, 0, "history-test"));
        var live = Users(400, 0.5f);
        await segmentation.SubmitSample(new FeatureSample("history-test-silo", [.. Enumerable.Range(0, live.Length).Select(i => $"h-{i}")], live, DateTimeOffset.UtcNow));
        var monitor = grains.GetGrain<IDriftMonitorGrain>(IDriftMonitorGrain.Key);
        var first = await monitor.Check();
        var second = await monitor.Check();

        var series = (await Json("/v1/drift/history?detector=drift-feature-psi"))["series"]!.AsArray();
        Assert.Equal(["share", "spend", "visits"], series.Select(s => (string)s!["feature"]!).Order(StringComparer.Ordinal));
        var spend = series.Single(s => (string?)s!["feature"] == "spend")!;
        Assert.Equal("drift-feature-psi", (string?)spend["detector"]);
        Assert.Equal("psi(spend)", (string?)spend["statistic"]);
        var points = spend["points"]!.AsArray();
        Assert.Equal(2, points.Count);
        Assert.All(points, p => Assert.Equal(0.25, (double)p!["threshold"]!));
        // The shifted feature reads far above the threshold, the unshifted ones below it.
        Assert.True((double)points[0]!["value"]! > 0.25);
        Assert.All(series.Where(s => (string?)s!["feature"] != "spend"), s => Assert.True((double)s!["points"]![0]!["value"]! < 0.25));
        Assert.Equal(first.At, (DateTimeOffset)points[0]!["at"]!);
        Assert.Equal(second.At, (DateTimeOffset)points[1]!["at"]!);
        Assert.Single((await Json("/v1/drift/history?detector=drift-feature-psi&feature=spend&since=" + Uri.EscapeDataString(second.At.ToString("O"))))["series"]!.AsArray()[0]!["points"]!.AsArray());
        Assert.Empty((await Json("/v1/drift/history?detector=drift-feature-psi&cohortId=5"))["series"]!.AsArray());

        foreach (var (query, field) in new[] { ("detector=psi", "detector"), ("cohortId=x", "cohortId"), ("cohortId=-2", "cohortId"), ("since=yesterday", "since") })
        {
            var response = await factory.Admin().GetAsync($"/v1/drift/history?{query}");
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
            Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]![field]);
        }
    }

    private async Task<JsonNode> Json(string path)
    {
        var response = await factory.Admin().GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private async Task<JsonNode> Single(string path)
    {
        var response = await factory.Admin().GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return Assert.Single(JsonNode.Parse(text)!["alerts"]!.AsArray())!;
    }
}
