using Cohortly.Contracts;
using Cohortly.Demo;
using Cohortly.Demo.Synthetic;
using Cohortly.Gateway.Ingestion;
using Cohortly.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace Cohortly.Gateway.Hosting;

/// <summary>
/// The demo's way into this gateway's cluster: events through the same <see cref="EventIngestor"/> as
/// POST /v1/events (validated, counted, busy answered alike), the catalog and segmentation through their grains.
/// </summary>
public sealed class DemoCluster(IClusterClient client, EventIngestor ingestor, IOptions<CohortlyOptions> cohortly, TimeProvider time) : IDemoCluster
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
            batch.Add(new EventDto(e.EventId, e.UserId, e.ItemId, e.Type.ToWireName(), e.Value, e.Timestamp, new Dictionary<string, string?> { ["device"] = e.Device }));
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
}
