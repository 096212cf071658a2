using Cohortly.Contracts;
using Cohortly.Grains.Outcomes;
using Cohortly.Modeling.Outcomes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace Cohortly.Grains.Tests;

public sealed class OutcomeGrainTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static OutcomeCounts Served(long impressions, long clicks = 0, double revenue = 0) =>
        new(1, impressions, clicks, 0, revenue > 0 ? 1 : 0, revenue, clicks > 0 ? 1 : 0, revenue > 0 ? 1 : 0, revenue * revenue);

    private Task<OutcomeReport> Report(int? cohort, OutcomeGroupBy groupBy, DateTimeOffset now) =>
        fixture.Client.GetGrain<IOutcomeReportGrain>(IOutcomeReportGrain.Key)
            .Query(new OutcomeQuery(cohort, now.AddHours(-1), now.AddMinutes(1), OutcomeGranularity.Minute, groupBy));

    [Fact]
    public async Task Outcomes_recorded_on_the_silo_reach_the_cohort_grain_and_the_report()
    {
        // The aggregator itself: this cluster puts a recording double behind IOutcomeRecorder for the user grain tests.
        var recorder = fixture.SiloService<Cohortly.Grains.Services.OutcomeAggregator>();
        var now = DateTimeOffset.UtcNow;
        recorder.Record(new OutcomeKey(401, 3, string.Empty, string.Empty, ServedStrategy.CohortModel), Served(10, clicks: 2), now);
        recorder.Record(new OutcomeKey(401, 3, string.Empty, string.Empty, ServedStrategy.CohortModel), Served(10, revenue: 40), now);
        recorder.Record(new OutcomeKey(401, 3, "exp", "b", ServedStrategy.GlobalModel), Served(5), now);

        OutcomeReport? report = null;
        await Eventually.True(
            async () => (report = await Report(401, OutcomeGroupBy.Strategy, now)).Groups.Sum(g => g.Total.Exposures) == 3,
            "the silo's flush reaches outcome grain 401");

        var cohortModel = Assert.Single(report!.Groups, g => g.Key == "cohortModel");
        Assert.Equal(20, cohortModel.Total.Impressions);
        Assert.Equal(2, cohortModel.Total.Clicks);
        Assert.Equal(40, cohortModel.Total.Revenue);
        Assert.Equal(0.5, cohortModel.Total.ClickedExposureRate!.Value.Value);
        Assert.Equal(2.0, cohortModel.Total.RevenuePerImpression!.Value.Value, 12);
        Assert.Equal(5, Assert.Single(report.Groups, g => g.Key == "globalModel").Total.Impressions);

        // The all-cohorts query finds the cohort through the outcome index.
        await Eventually.True(
            async () => (await Report(null, OutcomeGroupBy.Cohort, now)).Groups.Any(g => g.Key == "401" && g.Total.Exposures == 3),
            "cohort 401 is in the all-cohorts report");
    }

    [Fact]
    public async Task A_resent_batch_is_applied_once_per_sender_and_sequence()
    {
        var grain = fixture.Client.GetGrain<IOutcomeGrain>(402);
        var now = DateTimeOffset.UtcNow;
        var minute = OutcomeTime.Start(OutcomeGranularity.Minute, now);
        var key = new OutcomeKey(402, 1, string.Empty, string.Empty, ServedStrategy.Popularity);
        var batch = new OutcomeBatch("silo-x", 5, [new OutcomeEntry(key, minute, Served(3))]);

        await grain.Apply(batch);
        await grain.Apply(batch); // the first call's answer was lost; the silo resends
        await grain.Apply(batch with { Sender = "silo-y" }); // another silo's own sequence
        await grain.Apply(batch with { Sequence = 6 });

        var rows = await grain.GetRows(OutcomeGranularity.Hour, now.AddHours(-1), now.AddHours(1));
        Assert.Equal(3, Assert.Single(rows).Counts.Exposures);
        Assert.Equal(9, rows[0].Counts.Impressions);
        Assert.Equal(key, rows[0].Key);
    }

    [Fact]
    public async Task Buckets_are_written_behind_to_grain_storage_and_read_back()
    {
        var grain = fixture.Client.GetGrain<IOutcomeGrain>(403);
        var now = DateTimeOffset.UtcNow;
        var key = new OutcomeKey(403, 2, "e", "v", ServedStrategy.ColdStart);
        await grain.Apply(new OutcomeBatch("silo-z", 1, [new OutcomeEntry(key, OutcomeTime.Start(OutcomeGranularity.Minute, now), Served(4, clicks: 1, revenue: 9))]));

        var storage = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StreamNames.Storage);
        OutcomeGrainState? stored = null;
        await Eventually.True(
            async () => (stored = await Stored(storage, grain.GetGrainId())) is { Store.Buckets.Count: 3 },
            "minute, hour and day buckets are written behind");

        var restored = OutcomeStore.FromState(stored!.Store, OutcomeRetention.Default);
        var day = Assert.Single(restored.Rows(OutcomeGranularity.Day, now.AddDays(-1), now.AddDays(1)));
        Assert.Equal(key, day.Key);
        Assert.Equal(Served(4, clicks: 1, revenue: 9), day.Counts);
        Assert.Equal(1, stored.Senders["silo-z"].Sequence);
        Assert.True(stored.Indexed);
    }

    private static async Task<OutcomeGrainState?> Stored(IGrainStorage storage, GrainId id)
    {
        var state = new GrainState<OutcomeGrainState> { State = new OutcomeGrainState() };
        await storage.ReadStateAsync("outcomes", id, state);
        return state.RecordExists ? state.State : null;
    }
}
