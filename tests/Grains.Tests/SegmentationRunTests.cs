using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Grains.Services;

namespace Cohortly.Grains.Tests;

/// <summary>
/// Every segmentation version comes from the training grain's one queue of runs: a full training run publishes its
/// segmentation with a transition table, a segmentation-only run goes through the same builder, and a re-clustering
/// requested during a training run waits for it and builds on its version instead of being lost or overwriting it.
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed class SegmentationRunTests(TrainingFixture fixture)
{
    /// <summary>
    /// How long a queued request may wait for the held run and its own (a run takes seconds; RunToEnd allows 3 min). The
    /// calls' own response timeout is 30 min, past the test run's hang limit, so an unbounded await failed nothing.
    /// </summary>
    private static readonly TimeSpan RunBound = TimeSpan.FromMinutes(3);

    private ISegmentationGrain Segmentation => fixture.Client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key);

    [Fact]
    public async Task Training_publishes_its_segmentation_with_transitions_against_the_previous_version_and_its_run()
    {
        await fixture.EnsureVersions(1);
        var before = (await Segmentation.GetCurrent())!;

        var status = await fixture.RunToEnd();

        Assert.True(status.State == TrainingState.Succeeded, status.Error);
        var published = (await Segmentation.GetCurrent())!;
        Assert.Equal(status.LastVersion, published.Version);
        Assert.Equal(SegmentationProducer.Training, published.Producer);
        Assert.Equal(status.LastVersion, published.ModelVersion);
        Assert.Equal(status.RunId, published.RunId);
        Assert.Equal(before.Version, published.PreviousVersion);
        // The same users (every trained user) counted under the previous version and this one.
        Assert.Equal(published.SampleSize, published.Transitions.Sum(t => t.Users));
        Assert.Equal(fixture.World.Users.Count, published.SampleSize);
        Assert.All(published.Transitions, t => Assert.Contains(t.To, published.CohortIds));
        Assert.Equal(published.CohortIds.Count, published.MatchDistances.Count);
        Assert.True(published.NextCohortId > published.CohortIds.Max());
    }

    [Fact]
    public async Task A_first_segmentation_requested_during_a_training_run_publishes_nothing_after_it()
    {
        await fixture.EnsureVersions(1);
        await EnsureLiveSample();
        using var gate = new SemaphoreSlim(0);
        fixture.Trainer.Gate = gate;
        Task<SegmentationVersionInfo> first;
        try
        {
            await fixture.Training.Start();
            await Eventually.True(async () => (await fixture.Training.GetStatus()).Stage == "held by the test", "the training run reaches the trainer");
            first = fixture.Training.Resegment(ITrainingGrain.FirstSegmentationTrigger);
            Assert.False(first.IsCompleted, "the first-version request ran during the training run");
            gate.Release();
            await first.WaitAsync(RunBound);
        }
        finally
        {
            fixture.Trainer.Gate = null;
            gate.Release(); // a run still held (the test failed before releasing it) goes on instead of holding the queue
        }

        // Training published a version while the request waited, so the request returns it and adds none: users stay in
        // the cohorts the model was trained on.
        var status = await fixture.Training.GetStatus();
        Assert.True(status.State == TrainingState.Succeeded, status.Error);
        var returned = await first;
        Assert.Equal(status.LastVersion, returned.ModelVersion);
        Assert.Equal(SegmentationProducer.Training, returned.Producer);
        Assert.Equal(returned.Version, (await Segmentation.GetCurrent())!.Version);
    }

    [Fact]
    public async Task A_reclustering_requested_during_a_training_run_waits_for_it_and_builds_on_its_version()
    {
        await fixture.EnsureVersions(1);
        var sampled = await EnsureLiveSample();
        using var gate = new SemaphoreSlim(0);
        fixture.Trainer.Gate = gate;
        Task<SegmentationVersionInfo> recluster;
        TrainingStatus started;
        try
        {
            started = await fixture.Training.Start();
            await Eventually.True(async () => (await fixture.Training.GetStatus()).Stage == "held by the test", "the training run reaches the trainer");
            recluster = Segmentation.Recompute();
            var shared = Segmentation.Recompute();
            // The status call answers while the re-clustering waits in the queue: waiting holds no grain.
            Assert.Equal(TrainingState.Running, (await fixture.Training.GetStatus()).State);
            Assert.False(recluster.IsCompleted, "the re-clustering ran during the training run");
            gate.Release();
            Assert.Equal((await recluster.WaitAsync(RunBound)).Version, (await shared.WaitAsync(RunBound)).Version);
        }
        finally
        {
            fixture.Trainer.Gate = null;
            gate.Release(); // a run still held (the test failed before releasing it) goes on instead of holding the queue
        }

        var version = await recluster;
        var status = await fixture.Training.GetStatus();
        Assert.Equal(started.RunId, status.RunId);
        Assert.True(status.State == TrainingState.Succeeded, status.Error);
        Assert.Equal(status.LastVersion + 1, version.Version);
        Assert.Equal(status.LastVersion, version.PreviousVersion);
        Assert.Equal(SegmentationProducer.SegmentationOnly, version.Producer);
        Assert.Equal(0, version.ModelVersion);
        Assert.Equal(sampled, version.SampleSize);
        Assert.Equal(sampled, version.Transitions.Sum(t => t.Users));
        Assert.Equal(sampled, version.SampleCounts.Sum());

        // Training's version is kept right before it, and versions stay ordered.
        var history = await Segmentation.GetHistory();
        var trained = Assert.Single(history, v => v.Version == status.LastVersion);
        Assert.Equal(SegmentationProducer.Training, trained.Producer);
        Assert.Equal(status.LastVersion, trained.ModelVersion);
        Assert.Equal(version.Version, history[^1].Version);
        Assert.True(history.Zip(history.Skip(1)).All(p => p.First.Version < p.Second.Version), string.Join(", ", history.Select(v => v.Version)));
        Assert.Equal(version.Version, (await Segmentation.Find(version.Version))?.Version);

        // Fresh ids of a segmentation-only run are above every id issued before.
        foreach (var (id, distance) in version.CohortIds.Zip(version.MatchDistances))
        {
            Assert.True(distance is not null ? trained.CohortIds.Contains(id) : id >= trained.NextCohortId, $"cohort {id} (distance {distance})");
        }

        // Later tests expect the model's own segmentation to be current.
        var restored = await fixture.RunToEnd();
        Assert.Equal(TrainingState.Succeeded, restored.State);
        Assert.Equal(SegmentationProducer.Training, (await Segmentation.GetCurrent())!.Producer);
    }

    /// <summary>Live users of their own (not the trained ones) with applied histories, pushed as the silo's sample.</summary>
    private async Task<int> EnsureLiveSample()
    {
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 60, Items = 300, Categories = 10, UserPrefix = "trl-" }, seed: 12);
        var history = world.History(DateTimeOffset.UtcNow, days: 14, new Random(5));
        var expected = history.GroupBy(e => e.UserId).ToDictionary(g => g.Key, g => (long)g.Count());
        if (await fixture.Client.GetGrain<IUserGrain>(expected.Keys.First()).GetProfile() is null)
        {
            await fixture.Publish(history.Select(Events.Of));
        }

        await Eventually.True(async () =>
        {
            foreach (var (user, count) in expected)
            {
                if ((await fixture.Client.GetGrain<IUserGrain>(user).GetProfile())?.Counts.Values.Sum() != count)
                {
                    return false;
                }
            }

            return true;
        }, "the live users' histories are applied");
        await fixture.Service<SiloBackgroundWork>().PushSample(CancellationToken.None);
        return (await Segmentation.GetSample()).UserIds.Count;
    }
}
