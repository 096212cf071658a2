using Cohortly.Contracts;
using Cohortly.Grains.Experiments;
using Cohortly.Grains.Services;
using Cohortly.Modeling.Experiments;
using Cohortly.Modeling.Outcomes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace Cohortly.Grains.Tests;

public sealed class ExperimentTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private IExperimentRegistryGrain Registry => fixture.Client.GetGrain<IExperimentRegistryGrain>(IExperimentRegistryGrain.Key);

    private static ExperimentPlan CohortModelVsGlobal(string id, IReadOnlyList<int> cohorts, long minimum = 1000, params ExperimentMetric[] guardrails)
    {
        var definition = ExperimentDefinition.CohortModelVsGlobal(id, cohorts: cohorts) with { MinimumSampleSize = minimum, Guardrails = guardrails };
        return new ExperimentPlan(definition, [VariantTreatment.DefaultFor(definition.Variants[0].Name), VariantTreatment.DefaultFor(definition.Variants[1].Name)]);
    }

    private async Task<ExperimentCache> CacheAt(long version)
    {
        var cache = fixture.SiloService<ExperimentCache>();
        await Eventually.True(() => Task.FromResult(cache.Version >= version), $"the silo's experiment cache reaches version {version}");
        return cache;
    }

    /// <summary>Records what serving would, through the silo's recorder, and waits until the cohort's outcome grain has it.</summary>
    private async Task Record(string experiment, int cohort, string variant, long exposures, long clicked, DateTimeOffset at)
    {
        // The silo's aggregator itself: this fixture replaces the recorder user grains get with a recording one.
        var recorder = fixture.SiloService<OutcomeAggregator>();
        recorder.Record(
            new OutcomeKey(cohort, 1, experiment, variant, ServedStrategy.CohortModel),
            new OutcomeCounts(exposures, exposures * 5, clicked, 0, 0, 0, clicked, 0, 0),
            at);
        await Eventually.True(
            async () =>
            {
                var rows = await fixture.Client.GetGrain<IOutcomeGrain>(cohort).GetRows(OutcomeGranularity.Minute, at.AddMinutes(-5), at.AddMinutes(5));
                return rows.Any(r => r.Key.Experiment == experiment && r.Key.Variant == variant && r.Counts.Exposures >= exposures);
            },
            $"outcomes of {experiment}/{variant} reach cohort {cohort}");
    }

    [Fact]
    public async Task A_created_experiment_reaches_the_silo_cache_and_assigns_as_Modeling_does()
    {
        var plan = CohortModelVsGlobal("exp-cache", [901, 902]);
        var created = await Registry.Create(plan);
        Assert.NotNull(created.Created);
        var cache = await CacheAt(await Registry.GetVersion());
        var now = DateTimeOffset.UtcNow;

        var seen = new HashSet<string>();
        for (var u = 0; u < 400; u++)
        {
            var user = $"user-{u}";
            var served = cache.Assign(user, 901, now);
            Assert.NotNull(served);
            var s = served.Value;
            Assert.Equal("exp-cache", s.ExperimentId);
            Assert.Equal(ExperimentAssignment.Assign(plan.Definition, user, 901), s.Variant);
            Assert.Equal(plan.Definition.Share(s.Variant), s.Propensity);
            Assert.True(s.Counted);
            Assert.Equal(s.Variant == ExperimentDefinition.GlobalBaseline, s.Treatment.GlobalWeights);
            // A user keeps their variant when they move to another cohort of the experiment.
            Assert.Equal(s.Variant, cache.Assign(user, 902, now)!.Value.Variant);
            Assert.Equal(s, cache.Assign(user, 901, now));
            seen.Add(s.Variant);
        }

        Assert.Equal(2, seen.Count);
        Assert.Null(cache.Assign("user-1", 903, now));
        Assert.Null(cache.Assign("user-1", null, now));
    }

    [Fact]
    public async Task A_stopped_experiment_is_no_longer_served_and_stays_listed()
    {
        Assert.NotNull((await Registry.Create(CohortModelVsGlobal("exp-stop", [931]))).Created);
        var cache = await CacheAt(await Registry.GetVersion());
        Assert.NotNull(cache.Assign("someone", 931, DateTimeOffset.UtcNow));

        var stopped = await Registry.Stop("exp-stop");
        Assert.Equal(ExperimentStatus.Stopped, stopped!.Status);
        Assert.NotNull(stopped.Stopped);
        cache = await CacheAt(await Registry.GetVersion());
        Assert.Null(cache.Assign("someone", 931, DateTimeOffset.UtcNow));
        Assert.Contains(await Registry.List(), e => e.Id == "exp-stop" && e.Status == ExperimentStatus.Stopped);
        Assert.Null(await Registry.Stop("no-such-experiment"));

        // The cohort is free again for a new experiment, but the name is never reused.
        Assert.NotNull((await Registry.Create(CohortModelVsGlobal("exp-stop-2", [931]))).Created);
        var again = await Registry.Create(CohortModelVsGlobal("exp-stop", [932]));
        Assert.Null(again.Created);
        Assert.Equal("name", again.ConflictField);
    }

    [Fact]
    public async Task A_cohort_in_a_running_experiment_cannot_join_another()
    {
        Assert.NotNull((await Registry.Create(CohortModelVsGlobal("exp-overlap-a", [941, 942]))).Created);
        var conflict = await Registry.Create(CohortModelVsGlobal("exp-overlap-b", [942, 943]));
        Assert.Null(conflict.Created);
        Assert.Equal("cohorts", conflict.ConflictField);
        Assert.Contains("942", conflict.Conflict, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_variant_that_harms_the_guardrail_returns_its_cohort_to_the_baseline_and_raises_an_alert()
    {
        const string id = "exp-guardrail";
        var plan = CohortModelVsGlobal(id, [911, 912], minimum: 200, ExperimentMetric.ClickThroughRate);
        Assert.NotNull((await Registry.Create(plan)).Created);
        var now = DateTimeOffset.UtcNow;

        // Cohort 911: the cohort model's CTR is half the global baseline's. Cohort 912: the same CTR.
        await Record(id, 911, ExperimentDefinition.GlobalBaseline, 3000, 600, now);
        await Record(id, 911, ExperimentDefinition.CohortModel, 3000, 300, now);
        await Record(id, 912, ExperimentDefinition.GlobalBaseline, 3000, 450, now);
        await Record(id, 912, ExperimentDefinition.CohortModel, 3000, 450, now);

        await Registry.Evaluate();

        var info = await Registry.Get(id);
        var returned = Assert.Single(info!.Returned);
        Assert.Equal(911, returned.CohortId);
        Assert.Equal(ExperimentDefinition.CohortModel, returned.Variant);
        Assert.Equal(ExperimentMetric.ClickThroughRate, returned.Metric);
        Assert.True(returned.PValue <= plan.Definition.GuardrailAlpha);

        var alerts = await fixture.Client.GetGrain<IAlertGrain>(IAlertGrain.Key).List(100, 911, ExperimentRegistryGrain.GuardrailSource);
        var alert = Assert.Single(alerts);
        Assert.Equal(plan.Definition.GuardrailAlpha, alert.Input.Threshold);
        Assert.Equal(returned.PValue, alert.Input.Value);
        Assert.Contains(id, alert.Input.Message, StringComparison.Ordinal);
        Assert.Empty(await fixture.Client.GetGrain<IAlertGrain>(IAlertGrain.Key).List(100, 912, null));

        // From now on the cache serves cohort 911 the baseline, uncounted; cohort 912 keeps its split.
        var cache = await CacheAt(await Registry.GetVersion());
        var variants912 = new HashSet<string>();
        for (var u = 0; u < 50; u++)
        {
            var s911 = cache.Assign($"g-{u}", 911, now)!.Value;
            Assert.Equal(ExperimentDefinition.GlobalBaseline, s911.Variant);
            Assert.False(s911.Counted);
            Assert.True(s911.Treatment.GlobalWeights);
            variants912.Add(cache.Assign($"g-{u}", 912, now)!.Value.Variant);
        }

        Assert.Equal(2, variants912.Count);

        // A second look does not return the cohort again nor raise a second alert; the results carry the report.
        var results = await Registry.Results(id);
        Assert.Single((await Registry.Get(id))!.Returned);
        Assert.Single(await fixture.Client.GetGrain<IAlertGrain>(IAlertGrain.Key).List(100, 911, ExperimentRegistryGrain.GuardrailSource));
        var report = results!.Report!;
        Assert.Equal([911, 912], report.Cohorts.Select(c => c.CohortId!.Value));
        Assert.Equal(ExperimentDecision.VariantWorse, report.Cohorts[0].Guardrails.Single().Decision);
        Assert.Equal(0.1, report.Cohorts[0].Arms[1].PrimaryValue, 12);

        // The previous report is kept in the registry's stored state (the always-valid p-values' running minimum).
        var storage = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StreamNames.Storage);
        var stored = new GrainState<ExperimentRegistryState> { State = new ExperimentRegistryState() };
        await storage.ReadStateAsync("experiments", Registry.GetGrainId(), stored);
        var record = stored.State.Experiments.Single(e => e.Id == id);
        Assert.Equal(report.Cohorts[0].Guardrails.Single().Sequential.PValue, record.LastReport!.Cohorts[0].Guardrails.Single().Sequential.PValue);
        Assert.Equal(911, Assert.Single(record.Returned).CohortId);
    }

    [Fact]
    public async Task A_bandit_moves_the_cohort_split_to_the_better_variant_and_reads_it_by_inverse_propensity()
    {
        const string id = "exp-bandit";
        var definition = ExperimentDefinition.CohortModelVsGlobal(id, cohorts: [921]) with { Allocation = AllocationMode.ThompsonSampling, BanditFloor = 0.1 };
        var plan = new ExperimentPlan(definition, [new VariantTreatment(GlobalWeights: true), VariantTreatment.None]);
        Assert.NotNull((await Registry.Create(plan)).Created);
        var now = DateTimeOffset.UtcNow;
        await Record(id, 921, ExperimentDefinition.GlobalBaseline, 1000, 50, now);
        await Record(id, 921, ExperimentDefinition.CohortModel, 1000, 150, now);

        await Registry.Evaluate();

        var info = await Registry.Get(id);
        var allocation = Assert.Single(info!.Allocations);
        Assert.Equal(921, allocation.CohortId);
        var step = Assert.Single(allocation.Steps);
        Assert.True(step.From > now, "a new split starts at a later minute boundary, after every silo's cache has it");
        Assert.Equal(0, step.From.Second);
        Assert.Equal(1.0, step.Probabilities.Sum(), 9);
        Assert.True(step.Probabilities[1] > 0.85, $"the better cohort model gets most traffic ({step.Probabilities[1]})");
        Assert.True(step.Probabilities[0] >= 0.1 - 1e-12, "the floor keeps the baseline alive");

        // The cache serves the configured split until the step starts, then the step's split, with that propensity.
        var cache = await CacheAt(await Registry.GetVersion());
        var before = cache.Assign("bandit-user", 921, now)!.Value;
        Assert.Equal(0.5, before.Propensity);
        var counts = new int[2];
        for (var u = 0; u < 2000; u++)
        {
            var s = cache.Assign($"bandit-{u}", 921, step.From.AddSeconds(1))!.Value;
            var v = definition.IndexOf(s.Variant);
            Assert.Equal(step.Probabilities[v], s.Propensity);
            Assert.Equal(v == 0, s.Treatment.GlobalWeights);
            counts[v]++;
        }

        Assert.InRange(counts[1] / 2000.0, step.Probabilities[1] - 0.05, step.Probabilities[1] + 0.05);

        // Results: the inverse-propensity estimates (the rows were served under the configured 50/50 split).
        var results = await Registry.Results(id);
        Assert.Null(results!.Report);
        var cohort = Assert.Single(results.Bandit!);
        Assert.Equal(921, cohort.CohortId);
        Assert.Equal(0.05, cohort.Arms[0].Estimate.Ips, 9);
        Assert.Equal(0.15, cohort.Arms[1].Estimate.Ips, 9);
        Assert.Equal(0.10, cohort.Arms[1].DifferenceFromBaseline, 9);
        Assert.True(cohort.Arms[1].DifferenceLower > 0);
    }
}

public sealed class AlertTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task Alerts_are_kept_durably_newest_first_up_to_the_history_limit()
    {
        var grains = fixture.Client;
        var history = fixture.SiloService<Microsoft.Extensions.Options.IOptions<Hosting.CohortlyOptions>>().Value.Alerts.History;
        for (var i = 0; i < history + 5; i++)
        {
            await grains.RaiseAlert(new AlertInput("test-detector", i % 3, "statistic", i, 1, $"alert {i}"));
        }

        var alerts = await grains.GetGrain<IAlertGrain>(IAlertGrain.Key).List(history + 100, null, "test-detector");
        Assert.Equal(history, alerts.Count);
        Assert.Equal($"alert {history + 4}", alerts[0].Input.Message);
        Assert.Equal("alert 5", alerts[^1].Input.Message);
        Assert.True(alerts[0].Sequence > alerts[1].Sequence);
        Assert.All(await grains.GetGrain<IAlertGrain>(IAlertGrain.Key).List(10, 1, null), a => Assert.Equal(1, a.Input.CohortId));

        var storage = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StreamNames.Storage);
        var stored = new GrainState<Alerts.AlertState> { State = new Alerts.AlertState() };
        await storage.ReadStateAsync("alerts", grains.GetGrain<IAlertGrain>(IAlertGrain.Key).GetGrainId(), stored);
        Assert.Equal(history, stored.State.Alerts.Count(a => a.Input.Source == "test-detector"));
        Assert.Equal(alerts[0].Sequence, stored.State.Sequence);
    }
}
