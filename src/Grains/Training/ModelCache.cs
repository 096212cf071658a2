using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Cohortly.Grains.Training;

/// <summary>
/// The per-silo copy of the active model bundle. The silo's poll loop asks the registry for the active version;
/// when it changes, the artifact is loaded from the store and deserialized on the thread pool, then swapped in
/// with one reference write, so a request keeps the bundle it started with. A failed load keeps the previous
/// bundle, records <see cref="LoadError"/>, counts cohortly.models.load_failures, and is retried after a pause.
/// Every finished or failed load is reported to the registry (one call per load, never per request), so
/// GET /v1/models shows each silo's load state; a report that does not get through is resent on the next poll.
/// </summary>
public sealed partial class ModelCache(IModelStore store, CohortlyMetrics metrics, TimeProvider time, ILocalSiloDetails silo, ILogger<ModelCache> logger)
{
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(30);
    private volatile LoadedModel? _loaded;
    private volatile string? _loadError;
    private long _failedVersion;
    private DateTimeOffset _retryAt;
    private ModelLoadReport? _unreported;

    /// <summary>The bundle to serve, or null before the first model is loaded (serve the fallback).</summary>
    public ModelBundle? Current => _loaded?.Bundle;

    /// <summary>Registry version of <see cref="Current"/> (0: none).</summary>
    public long Version => _loaded?.Version ?? 0;

    /// <summary>Why the last load failed; null after a successful load.</summary>
    public string? LoadError => _loadError;

    /// <summary>One poll: loads the registry's active version if it is not the one held. Not thread-safe; one loop calls it.</summary>
    public async Task RefreshAsync(IGrainFactory grains, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var registry = grains.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key);
        await Report(registry, cancellationToken);
        var active = await registry.GetActiveVersion().WaitAsync(cancellationToken);
        if (active == 0 || active == Version || (active == _failedVersion && time.GetUtcNow() < _retryAt))
        {
            return;
        }

        try
        {
            var bytes = await store.LoadAsync(active, cancellationToken)
                ?? throw new InvalidDataException($"Model version {active} is active but its artifact is not in the model store.");
            var bundle = await Task.Run(
                () =>
                {
                    var b = ModelBundle.FromBytes(bytes);
                    // Warm the serving index and id lookups before the swap, so no request pays for them.
                    RecommendationPipeline.Prepare(b);
                    return b;
                },
                cancellationToken);
            _loaded = new LoadedModel(active, bundle);
            _loadError = null;
            _failedVersion = 0;
            LogLoaded(logger, active, bytes.Length);
            _unreported = new ModelLoadReport(silo.Name, active, true, null, time.GetUtcNow());
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _failedVersion = active;
            _retryAt = time.GetUtcNow() + RetryAfterFailure;
            _loadError = $"Loading model version {active} failed: {ex.Message}";
            metrics.ModelLoadFailures.Add(1);
            LogLoadFailed(logger, active, Version, ex);
            _unreported = new ModelLoadReport(silo.Name, active, false, _loadError, time.GetUtcNow());
        }

        await Report(registry, cancellationToken);
    }

    private async Task Report(IModelRegistryGrain registry, CancellationToken cancellationToken)
    {
        if (_unreported is not { } report)
        {
            return;
        }

        try
        {
            await registry.ReportLoad(report).WaitAsync(cancellationToken);
            _unreported = null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Kept for the next poll: the load state is information, never a reason to hold serving back.
            LogReportFailed(logger, report.Version, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reporting the load of model version {Version} to the registry failed; it is resent on the next poll")]
    private static partial void LogReportFailed(ILogger logger, long version, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model version {Version} loaded ({Bytes} bytes)")]
    private static partial void LogLoaded(ILogger logger, long version, int bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Loading model version {Version} failed; still serving version {Serving}")]
    private static partial void LogLoadFailed(ILogger logger, long version, long serving, Exception exception);

    private sealed record LoadedModel(long Version, ModelBundle Bundle);
}
