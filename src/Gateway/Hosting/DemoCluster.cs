using Cohortly.Contracts;
using Cohortly.Demo;
using Cohortly.Demo.Synthetic;
using Cohortly.Gateway.Ingestion;
using Cohortly.Grains.Hosting;
using Cohortly.Modeling.Experiments;
using Microsoft.Extensions.Options;

namespace Cohortly.Gateway.Hosting;

/// <summary>
/// The demo's way into this gateway's cluster: events through the same <see cref="EventIngestor"/> as
/// POST /v1/events (validated, counted, busy answered alike), recommendations through the user grain call of
/// GET /v1/users/{userId}/recommendations, the catalog, segmentation and training through their grains.
/// </summary>
public sealed class DemoCluster(IClusterClient client, IUserReads reads, EventIngestor ingestor, IOptions<CohortlyOptions> cohortly, TimeProvider time) : IDemoCluster
{
    public async Task UpsertCatalogAsync(IReadOnlyList<SyntheticItem> items, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var catalog = client.GetGrain<ICatalogGrain>(ICatalogGrain.Key);
        foreach (var chunk in items.Chunk(1000))
        {
            var records = chunk.Select(i => new ItemRecord(i.Id, i.Title, [i.Category], [.. i.Tags], i.Price, true, now)).ToList();
            await catalog.Upsert(records).WaitAsync(cancellationToken);
        }
    }

    public async Task<bool> TrySendAsync(IReadOnlyList<SyntheticEvent> events, CancellationToken cancellationToken)
    {
        var batch = new List<EventDto?>(events.Count);
        foreach (var e in events)
        {
            var context = new Dictionary<string, string?> { ["device"] = e.Device };
            foreach (var (key, value) in e.Context ?? new Dictionary<string, string>())
            {
                context[key] = value;
            }

            batch.Add(new EventDto(e.EventId, e.UserId, e.ItemId, e.Type.ToWireName(), e.Value, e.Timestamp, context, e.RecommendationId, e.Position));
        }

        try
        {
            await ingestor.IngestAsync(batch, cancellationToken);
            return true;
        }
        catch (IngestionBusyException)
        {
            return false;
        }
    }

    public async Task<DemoSegmentation> ResegmentAsync(CancellationToken cancellationToken)
    {
        // Two sample pushes: every silo has sent a sample taken after the last history event.
        var push = cohortly.Value.Segmentation.SamplePush;
        await Task.Delay(push + push, time, cancellationToken);
        try
        {
            var version = await client.GetGrain<ISegmentationGrain>(ISegmentationGrain.Key).Recompute().WaitAsync(cancellationToken);
            return new DemoSegmentation(version.Version, version.SampleSize, null);
        }
        catch (InsufficientDataException ex)
        {
            return new DemoSegmentation(null, 0, ex.Message);
        }
    }

    public async Task<ServedRecommendation?> RecommendAsync(string userId, int count, string device, CancellationToken cancellationToken)
    {
        var response = await reads.Recommend(userId, new RecommendationRequest(count, Device: device)).WaitAsync(cancellationToken);
        if (response.Items.Count == 0)
        {
            return null;
        }

        var items = new string[response.Items.Count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = response.Items[i].ItemId;
        }

        return new ServedRecommendation(response.RecommendationId, response.Strategy, response.CohortId, items, response.Experiment, response.Variant);
    }

    public async Task<string?> StartExperimentAsync(string name, CancellationToken cancellationToken)
    {
        var definition = ExperimentDefinition.CohortModelVsGlobal(name) with { MinimumSampleSize = 200 };
        var treatments = definition.Variants.Select(v => VariantTreatment.DefaultFor(v.Name)).ToList();
        var plan = new ExperimentPlan(definition, treatments);
        if (plan.Validate() is { Count: > 0 } errors)
        {
            return string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}"));
        }

        var registry = client.GetGrain<IExperimentRegistryGrain>(IExperimentRegistryGrain.Key);
        var created = await registry.Create(plan).WaitAsync(cancellationToken);
        if (created.Created is not null)
        {
            return null;
        }

        // Already there (a restart over the same data): fine while it runs; a stopped one is not restarted under its name.
        return await registry.Get(name).WaitAsync(cancellationToken) is { Status: ExperimentStatus.Running }
            ? null
            : created.Conflict ?? "the registry refused it";
    }

    public async Task<DemoTraining> TrainAsync(CancellationToken cancellationToken)
    {
        var training = client.GetGrain<ITrainingGrain>(ITrainingGrain.Key);
        var status = await training.Start().WaitAsync(cancellationToken);
        var runId = status.RunId;
        while (status.State == TrainingState.Running)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
            status = await training.GetStatus().WaitAsync(cancellationToken);
        }

        return status.State == TrainingState.Succeeded && status.RunId == runId
            ? new DemoTraining(status.ActiveVersion, null)
            : new DemoTraining(null, status.Error ?? $"training ended {status.State}");
    }
}
