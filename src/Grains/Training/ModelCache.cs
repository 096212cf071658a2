using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;
using Microsoft.Extensions.Logging;

namespace Cohortly.Grains.Training;

/// <summary>
/// The per-silo copy of the active model bundle. The silo's poll loop asks the registry for the active version;
/// when it changes, the artifact is loaded from the store and deserialized on the thread pool, then swapped in
/// with one reference write, so a request keeps the bundle it started with. A failed load keeps the previous
/// bundle, records <see cref="LoadError"/>, counts cohortly.models.load_failures, and is retried after a pause.
/// </summary>
public sealed partial class ModelCache(IModelStore store, CohortlyMetrics metrics, TimeProvider time, ILogger<ModelCache> logger)
{
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(30);
    private volatile LoadedModel? _loaded;
    private volatile string? _loadError;
    private long _failedVersion;
    private DateTimeOffset _retryAt;

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
        var active = await grains.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key).GetActiveVersion().WaitAsync(cancellationToken);
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
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _failedVersion = active;
            _retryAt = time.GetUtcNow() + RetryAfterFailure;
            _loadError = $"Loading model version {active} failed: {ex.Message}";
            metrics.ModelLoadFailures.Add(1);
            LogLoadFailed(logger, active, Version, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model version {Version} loaded ({Bytes} bytes)")]
    private static partial void LogLoaded(ILogger logger, long version, int bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Loading model version {Version} failed; still serving version {Serving}")]
    private static partial void LogLoadFailed(ILogger logger, long version, long serving, Exception exception);

    private sealed record LoadedModel(long Version, ModelBundle Bundle);
}
