using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Training;

public sealed class ModelRegistryState
{
    /// <summary>Oldest first.</summary>
    public List<ModelVersionInfo> Versions { get; set; } = [];

    public long ActiveVersion { get; set; }

    /// <summary>Per silo, what its model cache last reported.</summary>
    public List<SiloModelLoad> Silos { get; set; } = [];
}

/// <summary>
/// The list of stored model versions with their statuses (candidate, active, rejected, retired, and why), the active
/// one, and what each silo's model cache last loaded or failed to load. Silos poll <see cref="GetActiveVersion"/> and
/// load the artifact themselves, so the switch is one write here; the training grain calls <see cref="Activate"/> only
/// after it made the version's segmentation current (one queue, one step). Keeps the newest
/// Cohortly:Training:KeptVersions versions (never dropping the active one) and deletes pruned artifacts.
/// </summary>
public sealed partial class ModelRegistryGrain(
    [PersistentState("models", StreamNames.Storage)] IPersistentState<ModelRegistryState> state,
    IModelStore store,
    IOptions<CohortlyOptions> options,
    TimeProvider time,
    ILogger<ModelRegistryGrain> logger) : Grain, IModelRegistryGrain
{
    private static readonly TimeSpan ForgetSiloAfter = TimeSpan.FromDays(7);

    public Task<long> GetActiveVersion() => Task.FromResult(state.State.ActiveVersion);

    public Task<ModelRegistryView> List()
    {
        var versions = new List<ModelVersionInfo>(state.State.Versions);
        versions.Reverse();
        return Task.FromResult(new ModelRegistryView(state.State.ActiveVersion, versions) { Silos = [.. state.State.Silos] });
    }

    public async Task Register(ModelVersionInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(info.Version);
        var versions = state.State.Versions;
        versions.RemoveAll(v => v.Version == info.Version);
        versions.Add(info.Status == ModelStatus.Unknown ? info with { Status = ModelStatus.Candidate, StatusChangedAt = time.GetUtcNow() } : info);
        versions.Sort(static (a, b) => a.Version.CompareTo(b.Version));

        var pruned = new List<long>();
        for (var i = 0; versions.Count > options.Value.Training.KeptVersions && i < versions.Count;)
        {
            if (versions[i].Version == state.State.ActiveVersion || versions[i].Version == info.Version)
            {
                i++;
                continue;
            }

            pruned.Add(versions[i].Version);
            versions.RemoveAt(i);
        }

        await state.WriteStateAsync();
        foreach (var version in pruned)
        {
            try
            {
                await store.DeleteAsync(version, CancellationToken.None);
            }
            catch (Exception ex)
            {
                // The registry no longer lists it, so nothing will load it; a leftover artifact only costs space.
                LogDeleteFailed(logger, version, ex);
            }
        }
    }

    public async Task<ModelVersionInfo> Activate(ModelActivationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var version = request.Version;
        var index = IndexOf(version);
        var previous = state.State.ActiveVersion;
        var now = time.GetUtcNow();
        if (previous != version && IndexOf(previous) is var p and >= 0)
        {
            state.State.Versions[p] = state.State.Versions[p] with
            {
                Status = ModelStatus.Retired,
                StatusReason = $"replaced by version {version}",
                StatusChangedAt = now,
            };
        }

        var info = state.State.Versions[index] with
        {
            Status = ModelStatus.Active,
            StatusReason = request.Reason,
            StatusChangedAt = now,
            Forced = request.Forced,
        };
        state.State.Versions[index] = info;
        state.State.ActiveVersion = version;
        await state.WriteStateAsync();
        LogActivated(logger, version, previous, request.Forced, request.Reason);

        // Cohort grains own their serving: which model version serves them, whether it is their adapted one, and the
        // policy this version's training proposes (an operator's override stays in effect). Cohorts of the replaced
        // segmentation this version has no weights for are told it serves them with global weights, so none keeps the
        // replaced version's marker.
        var tasks = new List<Task>(info.Cohorts.Count + request.OtherCohorts.Count);
        foreach (var cohort in info.Cohorts)
        {
            tasks.Add(GrainFactory.GetGrain<ICohortGrain>(cohort.CohortId).AdoptModel(version, cohort.Adapted, cohort.Policy));
        }

        foreach (var id in request.OtherCohorts)
        {
            tasks.Add(GrainFactory.GetGrain<ICohortGrain>(id).AdoptModel(version, false, null));
        }

        await Task.WhenAll(tasks);
        return info;
    }

    public async Task<ModelVersionInfo> Reject(long version, string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        var index = IndexOf(version);
        if (version == state.State.ActiveVersion)
        {
            throw new InvalidOperationException($"Model version {version} is active; it cannot be rejected.");
        }

        var info = state.State.Versions[index] with { Status = ModelStatus.Rejected, StatusReason = reason, StatusChangedAt = time.GetUtcNow() };
        state.State.Versions[index] = info;
        await state.WriteStateAsync();
        LogRejected(logger, version, reason);
        return info;
    }

    public async Task ReportLoad(ModelLoadReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentException.ThrowIfNullOrEmpty(report.Silo);
        var silos = state.State.Silos;
        var i = silos.FindIndex(s => s.Silo == report.Silo);
        var current = i >= 0 ? silos[i] : new SiloModelLoad(report.Silo, 0, 0, null, report.At);
        var next = report.Loaded
            ? current with { LoadedVersion = report.Version, FailedVersion = current.FailedVersion == report.Version ? 0 : current.FailedVersion, Error = current.FailedVersion == report.Version ? null : current.Error, At = report.At }
            : current with { FailedVersion = report.Version, Error = report.Error, At = report.At };
        if (next == current)
        {
            return; // a retry that failed the same way changes nothing worth a write
        }

        if (i >= 0)
        {
            silos[i] = next;
        }
        else
        {
            silos.Add(next);
        }

        // A silo that left the cluster never reports again; its entry goes once it is a week old, so restarted hosts
        // with new silo names do not pile up. (A live silo reports at every load, i.e. at every training run.)
        silos.RemoveAll(s => s.At < report.At - ForgetSiloAfter);
        await state.WriteStateAsync();
    }

    private int IndexOf(long version)
    {
        var i = state.State.Versions.FindIndex(v => v.Version == version);
        return i >= 0 || version == 0 ? i : throw new UnknownModelVersionException(version);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model version {Version} was rejected by the promotion gate: {Reason}")]
    private static partial void LogRejected(ILogger logger, long version, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model version {Version} is active (was {Previous}; forced over the gate: {Forced}): {Reason}")]
    private static partial void LogActivated(ILogger logger, long version, long previous, bool forced, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting pruned model version {Version} from the store failed")]
    private static partial void LogDeleteFailed(ILogger logger, long version, Exception exception);
}
