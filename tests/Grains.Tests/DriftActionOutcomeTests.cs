using Cohortly.Contracts;
using Cohortly.Grains.Services;
using Cohortly.Grains.Training;
using Cohortly.Modeling.Cohorts;

namespace Cohortly.Grains.Tests;

/// <summary>
/// A drift detection's retrain records how its run ended in the alert: promoted, or rejected by the promotion gate with
/// the reason. Each case has its own training cluster (a logged history, fast loops), because the monitor reads each
/// outcome minute once per activation; the failed case is in <see cref="DriftFallbackShareTests"/> (an empty log).
/// </summary>
internal static class DriftRetrain
{
    /// <summary>Records a fallback-share jump in <paramref name="cohort"/>, runs a pass and waits until the cohort's alert records its run's result.</summary>
    public static async Task<AlertActionRecord> DetectAndWait(TrainingFixture fixture, int cohort)
    {
        await DriftClusterFixture.RecordMinutes(fixture.Client, fixture.Service<OutcomeAggregator>(), cohort, DriftClusterFixture.FallbackJump());
        var report = await fixture.Client.GetGrain<IDriftMonitorGrain>(IDriftMonitorGrain.Key).Check();
        var detection = Assert.Single(report.Detections, d => d.Source == "drift-fallback-share" && d.CohortId == cohort);
        var queued = detection.Alert!.Input.Action!;
        Assert.Equal(DriftAction.Retrain, queued.Action);
        Assert.NotNull(queued.RunId);

        AlertActionRecord? ended = null;
        await Eventually.True(
            async () =>
            {
                var alerts = await fixture.Client.GetGrain<IAlertGrain>(IAlertGrain.Key).List(10, cohort, "drift-fallback-share");
                ended = alerts.Single().Input.Action;
                return ended?.Run is not null;
            },
            $"the retrain of cohort {cohort}'s alert records how its run ended",
            TimeSpan.FromMinutes(3));
        Assert.Equal(queued.RunId, ended!.RunId);
        return ended;
    }
}

public sealed class DriftRetrainPromotedTests(TrainingFixture fixture) : IClassFixture<TrainingFixture>
{
    [Fact]
    public async Task A_retrain_whose_version_passes_the_gate_records_the_promoted_version()
    {
        fixture.Trainer.Override = fixture.Trainer.Options with { PromotionTolerance = 1 };

        var promoted = await DriftRetrain.DetectAndWait(fixture, 7401);

        Assert.Equal(DriftActionOutcome.Succeeded, promoted.Outcome);
        Assert.Equal(TrainingRunResult.Promoted, promoted.Run!.Result);
        var active = await fixture.Registry.GetActiveVersion();
        Assert.Equal(active, promoted.Run.Version);
        Assert.Contains($"promoted model version {active}", promoted.Detail, StringComparison.Ordinal);
    }
}

public sealed class DriftRetrainRejectedTests(TrainingFixture fixture) : IClassFixture<TrainingFixture>
{
    [Fact]
    public async Task A_retrain_whose_version_the_gate_rejects_records_the_rejection_and_its_reason()
    {
        var options = fixture.Trainer.Options;
        fixture.Trainer.Override = options with { PromotionTolerance = 1 };
        var first = await fixture.RunToEnd();
        Assert.True(first.Promoted, first.Promotion);
        var active = first.LastVersion;
        var cache = fixture.Service<ModelCache>();
        await Eventually.True(() => Task.FromResult(cache.Version == active), "the cache loads the active version");
        // New sessions the active version has not seen, and a deterministically worse candidate.
        var newer = fixture.World.History(DateTimeOffset.UtcNow, days: 4, new Random(79));
        await fixture.Service<IInteractionLog>().AppendAsync([.. newer.Select(Events.Of)], CancellationToken.None);
        fixture.Trainer.Override = options with
        {
            IalsWeight = 0,
            KnnWeight = 0,
            PopularityWeight = 1,
            Cohorts = new CohortStrategyOptions { MinValidationUsers = 1_000_000 },
            PromotionMinUsers = 10,
            // Self-tuning would search the blend weights back to iALS and item-kNN: the degradation is the point here.
            Tuning = options.Tuning with { Enabled = false },
        };

        var rejected = await DriftRetrain.DetectAndWait(fixture, 7402);

        Assert.Equal(DriftActionOutcome.Rejected, rejected.Outcome);
        Assert.Equal(TrainingRunResult.Rejected, rejected.Run!.Result);
        Assert.True(rejected.Run.Version > active);
        Assert.Contains("worse than the active version", rejected.Run.Reason, StringComparison.Ordinal);
        Assert.Contains("the active version keeps serving", rejected.Detail, StringComparison.Ordinal);
        Assert.Equal(active, await fixture.Registry.GetActiveVersion());
    }
}
