using Cohortly.Grains.Hosting.Embedded;
using Cohortly.Grains.Hosting.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// Where the cluster keeps membership, grain state, reminders, the event stream and the training log and model
/// store. Each backend is one class in its own folder (Embedded/, Redis/) and <see cref="From"/> is the only place
/// that chooses one, from <c>Cohortly:Cluster</c>; the rest of the code asks the chosen backend, never the setting.
/// A new backend (PostgreSQL through Orleans' ADO.NET providers, say) is a new folder and one line in
/// <see cref="Known"/>.
/// </summary>
public abstract class CohortlyBackend
{
    /// <summary>The backends by their <c>Cohortly:Cluster</c> name (exact spelling).</summary>
    private static readonly Dictionary<string, Func<IConfiguration, CohortlyBackend>> Known = new(StringComparer.Ordinal)
    {
        [EmbeddedBackend.Name] = _ => new EmbeddedBackend(),
        [RedisBackend.Name] = configuration => new RedisBackend(RedisConnection.From(configuration)),
    };

    /// <summary>
    /// True when the gateway hosts the only silo in its own process: state lives in memory and ends with the
    /// process, publishing an event cannot stall on a remote store, and the demo traffic is on by default.
    /// False: silos are separate processes and the gateway is an Orleans client.
    /// </summary>
    public abstract bool InProcess { get; }

    /// <summary>
    /// True when grain state is kept outside the silo process (Redis), so a save at silo shutdown is what the next
    /// activation reads. False (Embedded): grain state is Orleans' memory storage, held by storage grains of the same
    /// silo, and ends with the process; at shutdown those storage grains are deactivated together with every other
    /// activation, so a save then can only fail (logged with its stack trace, one per user with unsaved changes) and
    /// would be lost anyway. Read through <see cref="SavesOnDeactivation(DeactivationReason, bool)"/>.
    /// </summary>
    public abstract bool StateOutlivesProcess { get; }

    /// <summary>
    /// The one rule for a grain that saves pending state as it deactivates: it saves for every reason (idle,
    /// migration, a request, an error), and at silo shutdown only when the state outlives the process.
    /// </summary>
    public static bool SavesOnDeactivation(DeactivationReason reason, bool stateOutlivesProcess) =>
        stateOutlivesProcess || reason.ReasonCode != DeactivationReasonCode.ShuttingDown;

    /// <summary><see cref="SavesOnDeactivation(DeactivationReason, bool)"/> for this backend.</summary>
    public bool SavesOnDeactivation(DeactivationReason reason) => SavesOnDeactivation(reason, StateOutlivesProcess);

    /// <summary>The backend named by <c>Cohortly:Cluster</c>.</summary>
    public static CohortlyBackend From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = CohortlyConfiguration.Read(configuration);
        return Known[options.Cluster](configuration);
    }

    /// <summary>Whether <paramref name="name"/> names a backend (checked by the options validator).</summary>
    public static bool IsKnown(string? name) => name is not null && Known.ContainsKey(name);

    /// <summary>The accepted <c>Cohortly:Cluster</c> values, for error messages.</summary>
    public static string KnownNames => string.Join(", ", Known.Keys.Select(k => $"'{k}'"));

    /// <summary>Silo membership and endpoints. Test clusters bring their own and skip this.</summary>
    public abstract void UseClustering(ISiloBuilder silo, CohortlyOptions options);

    /// <summary>
    /// Grain storage, reminders, the interactions stream (and its recovery), the training log and model store; an
    /// in-process backend also registers its <see cref="Contracts.IEventSink"/> here, for the gateway in the same process.
    /// </summary>
    public abstract void AddStorage(ISiloBuilder silo, CohortlyOptions options);

    /// <summary>How a gateway that is an Orleans client finds the silos.</summary>
    public abstract void UseClustering(IClientBuilder client, CohortlyOptions options);

    /// <summary>The client side of the interactions stream and the backend's <see cref="Contracts.IEventSink"/> the gateway appends events to.</summary>
    public abstract void AddStorage(IClientBuilder client, CohortlyOptions options);

    internal static OptionsValidationException Invalid(string message) =>
        new(nameof(CohortlyOptions), typeof(CohortlyOptions), [message]);
}
