using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Grains.Hosting;
using Cohortly.Grains.Training;
using Cohortly.Modeling.Experiments;
using Cohortly.Modeling.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Cohortly.Grains.Tests;

/// <summary>The real pipeline, with switches to hold a run at its start or make it fail.</summary>
public sealed class SwitchableTrainer(TrainingOptions options) : IModelTrainer
{
    public volatile string? FailWith;

    /// <summary>
    /// How long a run waits at <see cref="Gate"/> before it fails. A test that fails before releasing the gate would
    /// otherwise leave the run held for good, and every run, activation and re-clustering queued behind it with it — calls
    /// whose response timeout is 30 min — so one failed test hung the rest of the collection. Far above what a test holds
    /// a run for (a status poll or two).
    /// </summary>
    public static readonly TimeSpan GateLimit = TimeSpan.FromMinutes(3);

    public SemaphoreSlim? Gate { get; set; }

    /// <summary>Options for the next runs instead of the configured ones (a degraded model, another cohort count).</summary>
    public TrainingOptions? Override { get; set; }

    public TrainingOptions Options => options;

    public ModelBundle Train(TrainingInput input, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        if (Gate is { } gate)
        {
            progress?.Report(new TrainingProgress("held by the test", 0.5));
            if (!gate.Wait(GateLimit, cancellationToken))
            {
                throw new TimeoutException($"the test held this run at its gate for more than {GateLimit.TotalMinutes:F0} min and never released it");
            }
        }

        if (FailWith is { } message)
        {
            throw new InvalidOperationException(message);
        }

        return TrainingPipeline.Run(input, Override ?? options, progress, cancellationToken);
    }
}

/// <summary>A one-silo cluster with a temp data directory, fast model polling and a small logged history.</summary>
public sealed class TrainingFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private readonly SemaphoreSlim _trainOnce = new(1, 1);

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public SyntheticWorld World { get; } = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 300, Items = 300, Categories = 10, UserPrefix = "tr-" }, seed: 11);

    public IConfiguration Configuration { get; private set; } = null!;

    public SwitchableTrainer Trainer => (SwitchableTrainer)Service<IModelTrainer>();

    public async Task InitializeAsync()
    {
        Configuration = FastLoopCluster.Configuration(new Dictionary<string, string?>
        {
            ["Cohortly:Segmentation:K"] = "4",
            ["Cohortly:Training:DataDirectory"] = _directory.Path,
            ["Cohortly:Training:ModelPoll"] = "00:00:00.100",
            ["Cohortly:Training:Factors"] = "16",
            ["Cohortly:Training:IalsIterations"] = "5",
        });
        // The switchable trainer is registered first, so the production registration keeps it.
        Cluster = await FastLoopCluster.Start(Configuration, before: services => services.AddSingleton<IModelTrainer>(sp => new SwitchableTrainer(sp.GetRequiredService<TrainingOptions>())));

        var now = DateTimeOffset.UtcNow;
        await Client.GetGrain<ICatalogGrain>(ICatalogGrain.Key).Upsert([.. World.Items.Select(i => new ItemRecord(i.Id, i.Title, [i.Category], [.. i.Tags], i.Price, true, now))]);
        var history = World.History(now, days: 14, new Random(4));
        await Service<IInteractionLog>().AppendAsync([.. history.Select(Events.Of)], CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        _directory.Dispose();
    }

    public T Service<T>()
        where T : notnull => Cluster.Silos[0].ServiceProvider.GetRequiredService<T>();

    public ITrainingGrain Training => Client.GetGrain<ITrainingGrain>(ITrainingGrain.Key);

    /// <summary>Sends events down the interaction stream (live profiles), one batch per user.</summary>
    public Task Publish(IEnumerable<InteractionEvent> events) => FastLoopCluster.Publish(Client, events);

    public IModelRegistryGrain Registry => Client.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key);

    /// <summary>Starts a run and waits until it has finished (succeeded or failed).</summary>
    public Task<TrainingStatus> RunToEnd() => TrainingRuns.RunToEnd(Training);

    /// <summary>Makes sure at least <paramref name="versions"/> successful runs have happened; returns the registry.</summary>
    public async Task<ModelRegistryView> EnsureVersions(int versions)
    {
        await _trainOnce.WaitAsync();
        try
        {
            while (Trained(await Registry.List()).Count < versions)
            {
                var status = await RunToEnd();
                Assert.True(status.State == TrainingState.Succeeded, $"training failed: {status.Error}");
            }

            return await Registry.List();
        }
        finally
        {
            _trainOnce.Release();
        }
    }

    /// <summary>Registered by real runs (a test registers a broken artifact without cohorts).</summary>
    public static List<ModelVersionInfo> Trained(ModelRegistryView view) => [.. view.Versions.Where(v => v.Cohorts.Count > 0)];

    /// <summary>At least one trained version, and the silo's model cache serving the active one: the registry and that bundle.</summary>
    public async Task<(ModelRegistryView Registry, ModelBundle Bundle)> ServingActiveVersion()
    {
        var registry = await EnsureVersions(1);
        var models = Service<ModelCache>();
        await Eventually.True(() => Task.FromResult(models.Version == registry.ActiveVersion), "the cache serves the active version");
        return (registry, models.Current!);
    }

    /// <summary>
    /// Of the cohorts whose own model training adopted, the one with the most of the world's users. Fails, naming every
    /// cohort's evidence, when training adopted none (the tests that use it are about serving an adapted cohort).
    /// </summary>
    public int LargestTrainedCohort(ModelBundle bundle)
    {
        var adapted = bundle.Cohorts.Where(r => r.Adapted).Select(r => r.CohortId).ToHashSet();
        var largest = World.Users
            .Select(u => bundle.TrainedCohortOf(u.Id))
            .OfType<int>()
            .Where(adapted.Contains)
            .GroupBy(c => c)
            .OrderByDescending(g => g.Count())
            .FirstOrDefault();
        return largest?.Key ?? throw new InvalidOperationException(
            "training adopted no cohort's own model in the test world: " +
            string.Join("; ", bundle.Cohorts.Select(r => $"cohort {r.CohortId}: gain {r.OutOfFoldGain:F4}, adapted {r.Adapted}")));
    }

    /// <summary>
    /// Creates the experiment and waits until the silo's experiment cache has it; disposing stops it and waits until the
    /// cache drops it, so later tests in the collection serve the same users without it.
    /// </summary>
    public async Task<IAsyncDisposable> StartExperiment(ExperimentPlan plan)
    {
        var experiments = Client.GetGrain<IExperimentRegistryGrain>(IExperimentRegistryGrain.Key);
        Assert.NotNull((await experiments.Create(plan)).Created);
        var cache = Service<Services.ExperimentCache>();
        await WaitForCache(await experiments.GetVersion(), "the silo's experiment cache has the experiment");
        return new StopOnDispose(async () =>
        {
            await experiments.Stop(plan.Definition.Id);
            await WaitForCache(await experiments.GetVersion(), "the silo's experiment cache drops the experiment");
        });

        Task WaitForCache(long version, string what) => Eventually.True(() => Task.FromResult(cache.Version >= version), what);
    }

    private sealed class StopOnDispose(Func<Task> stop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await stop();
    }
}

[CollectionDefinition(Name)]
public sealed class TrainingCollection : ICollectionFixture<TrainingFixture>
{
    public const string Name = "training cluster";
}

[Collection(TrainingCollection.Name)]
public sealed class TrainingTests(TrainingFixture fixture)
{
    [Fact]
    public async Task Training_run_over_the_log_activates_a_version_that_the_silo_cache_and_segmentation_serve()
    {
        await fixture.EnsureVersions(0);
        var status = await fixture.RunToEnd();

        Assert.Equal(TrainingState.Succeeded, status.State);
        Assert.Null(status.Error);
        Assert.Equal(100, status.Percent);
        Assert.True(status.FinishedAt >= status.StartedAt);
        var registry = await fixture.Registry.List();
        Assert.Equal(status.LastVersion, registry.ActiveVersion);
        Assert.Equal(status.LastVersion, status.ActiveVersion);
        var info = registry.Versions[0];
        Assert.Equal(status.LastVersion, info.Version);
        Assert.Equal(fixture.World.Users.Count, info.Users);
        Assert.True(info.Events > 0 && info.Bytes > 0 && info.Cohorts.Count == 4, $"{info.Events} events, {info.Bytes} bytes, {info.Cohorts.Count} cohorts");

        var cache = fixture.Service<ModelCache>();
        await Eventually.True(() => Task.FromResult(cache.Version == status.LastVersion), "the silo's model cache loads the new version");
        Assert.Equal(status.LastVersion, cache.Current!.Version);
        Assert.Null(cache.LoadError);

        // The bundle's segmentation is the current segmentation version, and its cohorts record the model.
        var segmentation = await fixture.Client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key).GetCurrent();
        Assert.Equal(cache.Current.Segmentation.Version, segmentation!.Version);
        Assert.Equal(status.LastVersion, segmentation.Version);
        Assert.Equal(cache.Current.Segmentation.CohortIds, segmentation.CohortIds);
        // Every trained user counted once (holdout users are among them, not in addition).
        Assert.Equal(fixture.World.Users.Count, segmentation.SampleCounts.Sum());
        Assert.Equal(fixture.World.Users.Count, segmentation.SampleSize);
        var report = info.Cohorts[0];
        var cohort = await fixture.Client.GetGrain<ICohortGrain>(report.CohortId).GetSnapshot();
        Assert.Equal(status.LastVersion, cohort.ModelVersion);
        Assert.Equal(report.Adapted, cohort.UsesAdaptedModel);
        Assert.Equal(segmentation.Version, cohort.SegmentationVersion);
    }

    [Fact]
    public async Task Rows_an_older_version_let_into_the_log_are_skipped_counted_and_the_run_still_publishes()
    {
        // What the edge now rejects but older versions logged: one user's absurd and negative purchases.
        var now = DateTimeOffset.UtcNow;
        InteractionEvent[] poison =
        [
            new("whale-1", "tr-whale", fixture.World.Items[0].Id, InteractionType.Purchase, 1e308, now, null, now),
            new("whale-2", "tr-whale", fixture.World.Items[1].Id, InteractionType.Purchase, 1e308, now, null, now),
            new("whale-3", "tr-whale", fixture.World.Items[2].Id, InteractionType.Purchase, -5, now, null, now),
        ];
        await fixture.Service<IInteractionLog>().AppendAsync(poison, CancellationToken.None);

        var status = await fixture.RunToEnd();

        Assert.True(status.State == TrainingState.Succeeded, status.Error);
        Assert.Equal(poison.Length, status.SkippedEvents);
        Assert.Equal(status.LastVersion, status.ActiveVersion);
        var info = (await fixture.Registry.List()).Versions[0];
        Assert.Equal(fixture.World.Users.Count, info.Users);
    }

    [Fact]
    public async Task Failing_run_keeps_the_previous_version_active_and_reports_the_error()
    {
        var before = await fixture.EnsureVersions(1);
        fixture.Trainer.FailWith = "planted trainer failure";
        TrainingStatus status;
        try
        {
            status = await fixture.RunToEnd();
        }
        finally
        {
            fixture.Trainer.FailWith = null;
        }

        Assert.Equal(TrainingState.Failed, status.State);
        Assert.Equal("planted trainer failure", status.Error);
        Assert.Equal(before.ActiveVersion, status.ActiveVersion);
        var after = await fixture.Registry.List();
        Assert.Equal(before.ActiveVersion, after.ActiveVersion);
        Assert.Equal(before.Versions.Count, after.Versions.Count);
        await Eventually.True(() => Task.FromResult(fixture.Service<ModelCache>().Version == before.ActiveVersion), "the cache serves the version that was active before");
    }

    [Fact]
    public async Task Starting_while_a_run_is_in_progress_shares_that_run()
    {
        await fixture.EnsureVersions(1);
        using var gate = new SemaphoreSlim(0);
        fixture.Trainer.Gate = gate;
        fixture.Trainer.FailWith = "released by the test";
        try
        {
            var first = await fixture.Training.Start();
            var second = await fixture.Training.Start();
            Assert.Equal(TrainingState.Running, first.State);
            Assert.Equal(first.RunId, second.RunId);
            await Eventually.True(async () => (await fixture.Training.GetStatus()).Stage == "held by the test", "the run reaches the trainer");
            var running = await fixture.Training.GetStatus();
            Assert.Equal(TrainingState.Running, running.State);
            Assert.InRange(running.Percent, 40, 50);
            Assert.NotNull(running.EstimatedRemainingSeconds);
            gate.Release();
            await Eventually.True(async () => (await fixture.Training.GetStatus()).State == TrainingState.Failed, "the held run ends");
            Assert.Equal(first.RunId, (await fixture.Training.GetStatus()).RunId);
        }
        finally
        {
            fixture.Trainer.Gate = null;
            gate.Release(); // a run still held (the test failed before releasing it) goes on instead of holding the queue
            fixture.Trainer.FailWith = null;
        }
    }

    [Fact]
    public async Task Activating_an_older_version_rolls_back_and_the_cache_follows()
    {
        var trained = TrainingFixture.Trained(await fixture.EnsureVersions(2));
        var newest = trained[0].Version;
        var older = trained[1].Version;
        var cache = fixture.Service<ModelCache>();
        try
        {
            var info = (await fixture.Training.Activate(older, force: false)).Model;

            Assert.Equal(older, info.Version);
            Assert.Equal(older, await fixture.Registry.GetActiveVersion());
            await Eventually.True(() => Task.FromResult(cache.Version == older), "the cache loads the older version");
            Assert.Equal(older, cache.Current!.Version);
        }
        finally
        {
            await fixture.Training.Activate(newest, force: false);
        }

        await Eventually.True(() => Task.FromResult(cache.Version == newest), "the cache returns to the newest version");
    }

    [Fact]
    public async Task Activating_an_unknown_version_fails_with_a_clear_error()
    {
        var ex = await Assert.ThrowsAsync<UnknownModelVersionException>(() => fixture.Training.Activate(987_654, force: false));
        Assert.Contains("987654", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_version_whose_artifact_cannot_load_leaves_the_previous_bundle_in_service()
    {
        var registry = await fixture.EnsureVersions(1);
        var good = registry.ActiveVersion;
        var cache = fixture.Service<ModelCache>();
        await Eventually.True(() => Task.FromResult(cache.Version == good), "the cache holds the active version");
        var broken = registry.Versions[0].Version + 1000;
        await fixture.Service<IModelStore>().SaveAsync(broken, new byte[] { 1, 2, 3, 4 }, CancellationToken.None);
        await fixture.Registry.Register(TrainingFixture.Trained(registry)[0] with { Version = broken, Cohorts = [] });
        try
        {
            // The registry's own switch: the training grain would refuse, as it cannot read this version's segmentation.
            await fixture.Registry.Activate(new ModelActivationRequest(broken, "test: an artifact that cannot load", false, []));
            await Eventually.True(() => Task.FromResult(cache.LoadError is not null), "the cache reports the failed load");

            Assert.Contains(broken.ToString(System.Globalization.CultureInfo.InvariantCulture), cache.LoadError, StringComparison.Ordinal);
            Assert.Equal(good, cache.Version);
            Assert.Equal(good, cache.Current!.Version);

            // The silo reported the failure to the registry, with the error, and still holds the good version.
            SiloModelLoad? report = null;
            await Eventually.True(async () => (report = (await fixture.Registry.List()).Silos.FirstOrDefault(l => l.FailedVersion == broken)) is not null, "the silo reports the failed load");
            Assert.Equal(good, report!.LoadedVersion);
            Assert.Contains(broken.ToString(System.Globalization.CultureInfo.InvariantCulture), report.Error, StringComparison.Ordinal);
        }
        finally
        {
            await fixture.Training.Activate(good, force: false);
        }
    }
}

public sealed class TrainingOptionsTests
{
    [Fact]
    public void Pipeline_options_bind_from_the_training_section_and_default_cohorts_to_segmentation()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cohortly:Segmentation:K"] = "7",
            ["Cohortly:Training:PositiveRating"] = "4",
            ["Cohortly:Training:Factors"] = "24",
        }).Build();

        var options = TrainingRegistration.PipelineOptions(configuration);

        Assert.Equal(4, options.PositiveRating);
        Assert.Equal(24, options.Factors);
        Assert.Equal(7, options.Segmentation.K);
    }

    [Fact]
    public void Invalid_pipeline_options_fail_naming_the_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Cohortly:Training:Factors"] = "0" }).Build();

        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => TrainingRegistration.PipelineOptions(configuration));
        Assert.Contains("Cohortly:Training", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_promotion_tolerance_binds_from_the_training_section_and_a_value_outside_zero_to_one_fails_naming_it()
    {
        var good = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cohortly:Training:PromotionTolerance"] = "0.05",
            ["Cohortly:Training:PromotionMinUsers"] = "12",
        }).Build();
        var options = TrainingRegistration.PipelineOptions(good);
        Assert.Equal(0.05, options.PromotionTolerance);
        Assert.Equal(12, options.PromotionMinUsers);
        Assert.Equal(0.02, TrainingRegistration.PipelineOptions(new ConfigurationBuilder().Build()).PromotionTolerance);

        foreach (var bad in new[] { "1.5", "-0.1", "NaN" })
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Cohortly:Training:PromotionTolerance"] = bad }).Build();
            var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => TrainingRegistration.PipelineOptions(configuration));
            Assert.Contains("PromotionTolerance", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Training_settings_reject_a_zero_interval()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cohortly:Training:Interval"] = "00:00:00",
        }).Build();

        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => CohortlyConfiguration.Read(configuration));
        Assert.Contains("Cohortly:Training:Interval", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validating_the_settings_creates_no_directory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "cohortly-validate-" + Guid.NewGuid().ToString("N"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cohortly:Training:DataDirectory"] = directory,
        }).Build();

        CohortlyConfiguration.Read(configuration);

        Assert.False(Directory.Exists(directory));
    }

    [Fact]
    public async Task A_silo_whose_data_directory_cannot_be_created_fails_to_start_naming_the_setting()
    {
        var file = Path.GetTempFileName();
        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Cohortly:Training:DataDirectory"] = Path.Combine(file, "below-a-file"),
            }).Build();
            var builder = new InProcessTestClusterBuilder(1);
            builder.ConfigureSilo((_, silo) => silo.AddCohortlyServices(configuration));
            await using var cluster = builder.Build();

            var ex = await Assert.ThrowsAnyAsync<Exception>(() => cluster.DeployAsync().WaitAsync(TimeSpan.FromSeconds(60)));

            Assert.Contains("Cohortly:Training:DataDirectory", ex.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
