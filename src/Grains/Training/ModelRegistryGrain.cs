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
}

/// <summary>
/// The list of stored model versions and the active one. Silos poll <see cref="GetActiveVersion"/> and load the
/// artifact themselves, so activation (promote or roll back) is one write here. Keeps the newest
/// Cohortly:Training:KeptVersions versions (never dropping the active one) and deletes pruned artifacts.
/// </summary>
public sealed partial class ModelRegistryGrain(
    [PersistentState("models", StreamNames.Storage)] IPersistentState<ModelRegistryState> state,
    IModelStore store,
    IOptions<CohortlyOptions> options,
    ILogger<ModelRegistryGrain> logger) : Grain, IModelRegistryGrain
{
    public Task<long> GetActiveVersion() => Task.FromResult(state.State.ActiveVersion);

    public Task<ModelRegistryView> List()
    {
        var versions = new List<ModelVersionInfo>(state.State.Versions);
        versions.Reverse();
        return Task.FromResult(new ModelRegistryView(state.State.ActiveVersion, versions));
    }

    public async Task Register(ModelVersionInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(info.Version);
        var versions = state.State.Versions;
        versions.RemoveAll(v => v.Version == info.Version);
        versions.Add(info);
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

    public async Task<ModelVersionInfo> Activate(long version)
    {
        var info = state.State.Versions.Find(v => v.Version == version) ?? throw new UnknownModelVersionException(version);
        var previous = state.State.ActiveVersion;
        state.State.ActiveVersion = version;
        await state.WriteStateAsync();
        LogActivated(logger, version, previous);

        // Cohort grains own their serving: which model version serves them, whether it is their adapted one, and the
        // policy this version's training proposes (an operator's override stays in effect).
        var tasks = new List<Task>(info.Cohorts.Count);
        foreach (var cohort in info.Cohorts)
        {
            tasks.Add(GrainFactory.GetGrain<ICohortGrain>(cohort.CohortId).AdoptModel(version, cohort.Adapted, cohort.Policy));
        }

        await Task.WhenAll(tasks);
        return info;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model version {Version} is active (was {Previous})")]
    private static partial void LogActivated(ILogger logger, long version, long previous);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting pruned model version {Version} from the store failed")]
    private static partial void LogDeleteFailed(ILogger logger, long version, Exception exception);
}
