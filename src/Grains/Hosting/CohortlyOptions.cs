using System.ComponentModel.DataAnnotations;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Hosting;

/// <summary>Settings under the "Cohortly" configuration section, shared by silo and gateway.</summary>
public sealed class CohortlyOptions
{
    public const string Section = "Cohortly";

    /// <summary>
    /// The backend: "Embedded" (default: one silo in the gateway, memory storage) or "Redis". Only
    /// <see cref="CohortlyBackend.From"/> reads it.
    /// </summary>
    [Required]
    public string Cluster { get; set; } = "Embedded";

    [Required]
    public string ClusterId { get; set; } = "cohortly";

    [Required]
    public string ServiceId { get; set; } = "cohortly";

    /// <summary>
    /// Key of the pseudonyms that stand for user ids in log messages (<see cref="UserPseudonyms"/>); empty: a random
    /// key per process. Set the same secret on every process to correlate a user's log lines across them.
    /// </summary>
    public string? PseudonymKey { get; set; }

    public SiloEndpointSettings Silo { get; set; } = new();

    public UserSettings Users { get; set; } = new();

    public SegmentationSettings Segmentation { get; set; } = new();

    public StreamSettings Streams { get; set; } = new();

    public MembershipSettings Membership { get; set; } = new();

    public TrainingSettings Training { get; set; } = new();

    public OutcomeSettings Outcomes { get; set; } = new();

    public ExperimentSettings Experiments { get; set; } = new();

    public AlertSettings Alerts { get; set; } = new();

    public DriftSettings Drift { get; set; } = new();

    public ContextSettings Context { get; set; } = new();

    public PrivacySettings Privacy { get; set; } = new();

    public ScalingSettings Scaling { get; set; } = new();

    /// <summary>Repeat purchases ("buy again"): the default and per-category repeat policies and the slots per response.</summary>
    public RepeatSettings Repeats { get; set; } = new();

    /// <summary>
    /// Embedded mode: most events published but not yet applied before POST /v1/events waits
    /// (up to <see cref="IngestWait"/>, then 503 with Retry-After).
    /// </summary>
    [Range(1000, 10_000_000)]
    public int MaxIngestBacklog { get; set; } = 20_000;

    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan IngestWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often each silo flushes pre-aggregated cohort deltas.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan Flush { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often each silo checks catalog, segmentation and cohort versions.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan CachePoll { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The default of <see cref="CatalogReadThroughInterval"/>.</summary>
    public static readonly TimeSpan DefaultCatalogReadThroughInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Least time between two catalog version reads of one silo's read-through (an event on an item id the silo's
    /// catalog copy does not know): misses in between share the next read, so unknown ids — a buggy or hostile client's
    /// random ones included — cost the catalog grain at most one call per interval per silo, and a miss waits at most
    /// about this long. 0: reads back to back (still one at a time, shared by the misses that queued meanwhile).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan CatalogReadThroughInterval { get; set; } = DefaultCatalogReadThroughInterval;
}

public sealed class SiloEndpointSettings
{
    [Range(0, 65535)]
    public int Port { get; set; } = 11111;

    [Range(0, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Host name or IP other silos use to reach this one (cluster mode). Empty: loopback.</summary>
    public string? AdvertisedHost { get; set; }

    /// <summary>
    /// Cluster mode: listen on every interface (true) or only on the advertised address (false, the
    /// default: a silo on a multi-homed host is not reachable from networks it was not meant for).
    /// </summary>
    public bool ListenOnAllInterfaces { get; set; }

    /// <summary>
    /// Standalone silo: the port of its HTTP health listener (/healthz, /readyz on all interfaces) for Kubernetes
    /// probes; 0 (the default) starts none. The gateway serves the same paths on its own port and ignores this.
    /// </summary>
    [Range(0, 65535)]
    public int HealthPort { get; set; }

    /// <summary>
    /// Grain locations each silo caches (Orleans' GrainDirectoryOptions.CacheSize, 1,000,000 by default). Entries
    /// leave only when the cache is full, so under the default every user a silo ever called costs it ~0.4 KB until a
    /// million are cached (plus ~18 MB of buckets sized for the million up front); keep it above the users active within
    /// Users:IdleDeactivation per silo. A miss costs a directory lookup before the call.
    /// </summary>
    [Range(1000, 10_000_000)]
    public int DirectoryCacheSize { get; set; } = 100_000;
}

/// <summary>
/// Cohortly:Users. The profile knobs here (recent items, affinity half-life, session gap, categories, excluded
/// items) are the only ones: live user grains and training both use <see cref="Profile"/>, so the features a
/// cohort was trained on are the features live users are assigned by.
/// </summary>
public sealed class UserSettings
{
    /// <summary>Most time a user change waits before it is written.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan WriteBehind { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A user grain that received no call and no event for this long is deactivated: its pending write-behind is
    /// saved (then its log entries acknowledged) and its memory (~9 KB) freed, so a silo holds the users active
    /// within this age, not every user it ever saw. The next request or event reactivates it from storage (one read).
    /// Orleans' per-type collection age; the collector runs at least every half of it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:02", "1.00:00:00")]
    public TimeSpan IdleDeactivation { get; set; } = TimeSpan.FromMinutes(15);

    [Range(1, 200)]
    public int RecentItems { get; set; } = 20;

    [Range(typeof(TimeSpan), "00:14:24", "3650.00:00:00")]
    public TimeSpan AffinityHalfLife { get; set; } = TimeSpan.FromDays(14);

    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan SessionGap { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Categories the affinity vector keeps (the weakest is dropped).</summary>
    [Range(1, 1024)]
    public int MaxCategories { get; set; } = ProfileOptions.Default.MaxCategories;

    /// <summary>Purchased and dismissed items remembered for filtering.</summary>
    [Range(0, 100_000)]
    public int ExcludedItems { get; set; } = ProfileOptions.Default.ExcludedItemCount;

    [Range(1, 1000)]
    public int MaxTransitions { get; set; } = 50;

    /// <summary>
    /// A retried event id is applied once if it comes back within this window, however many newer events
    /// the user had. Costs 12 bytes of user state per event received within the window.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan DeduplicationWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long after a recommendation response a click, add-to-cart or purchase is still attributed to it (with
    /// the response's id, or to the most recent response that showed the item).
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan AttributionWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Recent responses each user keeps for attribution (~250 bytes each in memory with 10 items).</summary>
    [Range(1, 100)]
    public int RecentRecommendations { get; set; } = 8;

    /// <summary>The profile options live profiles and training share.</summary>
    public ProfileOptions Profile() => new()
    {
        RecentItemCount = RecentItems,
        AffinityHalfLife = AffinityHalfLife,
        SessionGap = SessionGap,
        MaxCategories = MaxCategories,
        ExcludedItemCount = ExcludedItems,
    };
}

public sealed class SegmentationSettings
{
    /// <summary>
    /// The clustering algorithm: "kmeans" (default), "agglomerative" (cosine, average linkage, on a bounded sample) or
    /// "dbscan" (finds its own cluster count; K is not read). Mapped to a type once, in <see cref="SegmentationAlgorithmSettings"/>.
    /// </summary>
    [Required]
    public string Algorithm { get; set; } = SegmentationAlgorithmSettings.Default;

    /// <summary>Number of cohorts (kmeans, agglomerative); 0 lets silhouette / Davies–Bouldin choose k in 2..10.</summary>
    [Range(0, 50)]
    public int K { get; set; } = 5;

    /// <summary>K-Means fits per run; the lowest inertia is kept.</summary>
    [Range(1, 20)]
    public int KMeansRestarts { get; set; } = 3;

    /// <summary>Users the agglomerative dendrogram is built on (O(n²) memory); the rest go to the nearest centroid.</summary>
    [Range(2, 10_000)]
    public int AgglomerativeSample { get; set; } = 3000;

    /// <summary>DBSCAN neighbourhood radius in standardized units; 0 takes the knee of the sample's k-distance curve.</summary>
    [Range(0.0, 100.0)]
    public double DbscanEpsilon { get; set; }

    /// <summary>DBSCAN: neighbours (the user included) that make a core point.</summary>
    [Range(2, 10_000)]
    public int DbscanMinPoints { get; set; } = 10;

    /// <summary>Users DBSCAN clusters (O(n²) time); the rest, and its noise, go to the nearest cluster's centroid.</summary>
    [Range(10, 20_000)]
    public int DbscanSample { get; set; } = 5000;

    /// <summary>Users the quality's silhouette is computed on (within the sample, O(n²)), also when choosing k.</summary>
    [Range(10, 20_000)]
    public int SilhouetteSample { get; set; } = 1000;

    /// <summary>A fitted version whose sampled silhouette is below this is withheld (the previous one stays) and alerted.</summary>
    [Range(-1.0, 1.0)]
    public double MinSilhouette { get; set; }

    /// <summary>A DBSCAN version with a larger share of noise users than this is withheld and alerted.</summary>
    [Range(0.0, 1.0)]
    public double MaxNoiseShare { get; set; } = 0.5;

    /// <summary>Re-clustering schedule (a reminder; at least one minute).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Active users each silo keeps in its feature registry.</summary>
    [Range(10, 1_000_000)]
    public int SamplePerSilo { get; set; } = 5000;

    /// <summary>Upper bound of users clustered per run (sampled across silos).</summary>
    [Range(10, 10_000_000)]
    public int MaxSample { get; set; } = 20_000;

    /// <summary>The first segmentation runs by itself once this many users are sampled.</summary>
    [Range(2, 1_000_000)]
    public int MinUsers { get; set; } = 100;

    /// <summary>How often each silo sends its feature sample to the segmentation grain.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan SamplePush { get; set; } = TimeSpan.FromSeconds(15);

    public int Seed { get; set; } = 17;

    /// <summary>
    /// How far (standardized units) a new centroid may be from the one whose cohort id it keeps; farther, it gets a
    /// fresh id (served by the global weights until the next training). See docs/architecture.md, Segmentation.
    /// </summary>
    [Range(0.1, 100.0)]
    public double MaxMatchDistance { get; set; } = Cohortly.Modeling.Segmentation.SegmentationOptions.DefaultMaxMatchDistance;
}

/// <summary>Redis Streams event log (cluster mode).</summary>
public sealed class StreamSettings
{
    /// <summary>Partitions of the interactions stream; every silo and gateway must use the same value.</summary>
    [Range(1, 1024)]
    public int Partitions { get; set; } = 8;

    /// <summary>How long events stay in Redis (the durable log that training reads).</summary>
    [Range(typeof(TimeSpan), "01:00:00", "365.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How often each stream queue is polled for new events. Orleans' default (100 ms) alone would put an event's
    /// effect 50 ms on average behind its acceptance. A poll is not free even when the queue is empty: Orleans'
    /// pulling agent first walks every stream it has seen within <see cref="Inactivity"/> (one per active
    /// user), so the cost per second is active users × polls per second. At 100,000 active users a 10 ms period
    /// took ~9% of the server's CPU; 20 ms halves that and keeps an event's effect ~10 ms behind on average.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan Poll { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// A user's stream that carried no event for this long is dropped from its pulling agent (Orleans'
    /// StreamInactivityPeriod; the next event re-registers it, which with implicit subscriptions is a local
    /// lookup). Shorter keeps idle users out of every poll and frees the agent's per-stream state (~0.7 KB).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Inactivity { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Time to live of a partition's lease: after a silo dies, another silo starts reading its partitions
    /// at most this long after the last read (a graceful stop hands them over at once). Short leases
    /// mean fast fail-over; a silo that stalls longer (a very long GC pause) loses its partitions, which
    /// costs duplicate deliveries only (consumers ignore them by position).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LeaseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// An event its user grain has not confirmed saved within this time is presumed lost with a dead
    /// silo's memory: the partition owner asks the user grain to catch up from the log. Keep it above
    /// Users:WriteBehind plus a slow save.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:02", "01:00:00")]
    public TimeSpan AcknowledgementTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Longest wait for Redis to take a batch of events. Past it the gateway answers 503 with
    /// Retry-After instead of holding the client while Redis is unreachable.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan AppendTimeout { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>How fast silos notice a dead silo (Orleans membership probes; cluster mode).</summary>
public sealed class MembershipSettings
{
    /// <summary>A probe unanswered for this long counts as missed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:01:00")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Missed probes in a row before a silo votes its peer dead. Dead after about
    /// ProbeTimeout × MissedProbesLimit; its grains then reactivate on the survivors.
    /// </summary>
    [Range(1, 10)]
    public int MissedProbesLimit { get; set; } = 2;
}

/// <summary>
/// Model training (Cohortly:Training). The pipeline's own knobs (PositiveRating, Factors, Seed, Segmentation:*)
/// are bound from the same section into Modeling's TrainingOptions; its profile options come from Cohortly:Users.
/// </summary>
public sealed class TrainingSettings
{
    /// <summary>
    /// Embedded mode: where the interaction log and model artifacts live. Empty (the default) means a fresh
    /// directory under the OS temp directory named after the service, process and silo, deleted when the silo
    /// stops: embedded grain state is in memory too, so nothing outlives the process unless this is set.
    /// </summary>
    public string? DataDirectory { get; set; }

    /// <summary>
    /// Embedded: day files older than this are deleted (whole days: the window is rounded up to days); training
    /// reads this window.
    /// </summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Model versions kept in the registry and the store (the active one is never pruned).</summary>
    [Range(1, 1000)]
    public int KeptVersions { get; set; } = 10;

    /// <summary>Training schedule (a reminder; at least one minute).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>How often each silo asks the registry for the active model version.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan ModelPoll { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Outcome buckets (Cohortly:Outcomes): how long each granularity is kept by the per-cohort outcome grains, and how
/// often they write. Every bucket of a cohort is in one stored document, so these bound its size.
/// </summary>
public sealed class OutcomeSettings
{
    /// <summary>Minute buckets are kept this long.</summary>
    [Range(typeof(TimeSpan), "00:10:00", "2.00:00:00")]
    public TimeSpan MinuteRetention { get; set; } = TimeSpan.FromHours(3);

    /// <summary>Hour buckets are kept this long.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "90.00:00:00")]
    public TimeSpan HourRetention { get; set; } = TimeSpan.FromDays(14);

    /// <summary>Day buckets are kept this long.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan DayRetention { get; set; } = TimeSpan.FromDays(400);

    /// <summary>Most time applied outcomes wait before an outcome grain writes them.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan WriteBehind { get; set; } = TimeSpan.FromSeconds(10);

    public Modeling.Outcomes.OutcomeRetention Retention() => new(MinuteRetention, HourRetention, DayRetention);
}

/// <summary>Cohortly:Experiments: how often the registry reads running experiments (guardrails, bandit splits).</summary>
public sealed class ExperimentSettings
{
    /// <summary>Period of the registry's evaluation of running experiments.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Evaluation { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Cohortly:Alerts.</summary>
public sealed class AlertSettings
{
    /// <summary>Alerts kept (the oldest are dropped).</summary>
    [Range(10, 100_000)]
    public int History { get; set; } = 1000;
}

/// <summary>
/// <c>Cohortly:Context</c>: the declared context keys events and recommendation requests may carry. Unset, the
/// defaults (<see cref="ContextSchema.Default"/>: device, country, referrer, pageType) apply; set, the list replaces
/// them (configuration binding would otherwise append to a pre-filled list).
/// </summary>
/// <summary>
/// Cohortly:Repeats — which bought items may be recommended again. An item's own policy (<c>repeat</c> on
/// <c>PUT /v1/items</c>) wins, then the first of its categories listed here, then <see cref="Default"/>.
/// </summary>
public sealed class RepeatSettings
{
    /// <summary><c>never</c> (default: nothing bought comes back), <c>interval</c> or <c>always</c>.</summary>
    public string Default { get; set; } = "never";

    /// <summary>Per category name (case-insensitive), its policy.</summary>
    public Dictionary<string, string> Categories { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>At most this many leading slots of a response go to due repeat items, unless the request's <c>buyAgain</c> says otherwise.</summary>
    [System.ComponentModel.DataAnnotations.Range(0, 100)]
    public int Slots { get; set; } = 2;

    /// <summary>The policies these settings declare; problems are added to <paramref name="errors"/> naming the key.</summary>
    public Modeling.Repeats.RepeatPolicyBook Book(List<string> errors) =>
        Modeling.Repeats.RepeatPolicyBook.Parse(Default, Categories, errors, "Cohortly:Repeats");
}

public sealed class ContextSettings
{
    public List<ContextKeySettings>? Keys { get; set; }

    /// <summary>The schema these settings declare (throws with the problem when they are invalid; validated at start).</summary>
    public ContextSchema Schema() => Keys is { Count: > 0 } keys ? ContextSchema.Create(Definitions(keys)) : ContextSchema.Default;

    /// <summary>What is wrong with the declared keys, or null.</summary>
    public string? Problem() => Keys is { Count: > 0 } keys ? ContextSchema.Validate(Definitions(keys)) : null;

    private static List<ContextKeyDefinition> Definitions(List<ContextKeySettings> keys) =>
        keys.ConvertAll(k => new ContextKeyDefinition(k.Name ?? string.Empty, k.Values ?? [], k.MaxValues));
}

/// <summary>One declared context key: a closed set of <see cref="Values"/>, or free values of which <see cref="MaxValues"/> are learned.</summary>
public sealed class ContextKeySettings
{
    public string? Name { get; set; }

    public List<string>? Values { get; set; }

    public int MaxValues { get; set; } = 16;
}

/// <summary>
/// Validates nested sections too (DataAnnotations alone stop at the top level). Checks values only, with no side
/// effects: the embedded data directory is created where it is used, as the silo starts (TrainingDataDirectory).
/// </summary>
internal sealed class CohortlyOptionsValidator : IValidateOptions<CohortlyOptions>
{
    public ValidateOptionsResult Validate(string? name, CohortlyOptions options)
    {
        var errors = new List<string>();
        Check(options, "Cohortly", errors);
        Check(options.Silo, "Cohortly:Silo", errors);
        Check(options.Users, "Cohortly:Users", errors);
        Check(options.Segmentation, "Cohortly:Segmentation", errors);
        Check(options.Streams, "Cohortly:Streams", errors);
        Check(options.Membership, "Cohortly:Membership", errors);
        Check(options.Training, "Cohortly:Training", errors);
        Check(options.Outcomes, "Cohortly:Outcomes", errors);
        Check(options.Experiments, "Cohortly:Experiments", errors);
        Check(options.Alerts, "Cohortly:Alerts", errors);
        Check(options.Drift, "Cohortly:Drift", errors);
        if (options.Drift.Window > options.Outcomes.MinuteRetention)
        {
            errors.Add("Cohortly:Drift:Window must not exceed Cohortly:Outcomes:MinuteRetention (the windows are read back from the minute buckets).");
        }

        foreach (var (detector, action) in new[] { ("RewardRate", options.Drift.Actions.RewardRate), ("FallbackShare", options.Drift.Actions.FallbackShare), ("FeaturePsi", options.Drift.Actions.FeaturePsi), ("CohortShare", options.Drift.Actions.CohortShare) })
        {
            if (!Enum.IsDefined(action))
            {
                errors.Add($"Cohortly:Drift:Actions:{detector}: '{action}' is not an action; use AlertOnly, Retrain or ServeGlobal.");
            }
        }

        if (!Enum.IsDefined(options.Drift.RewardDirection))
        {
            errors.Add($"Cohortly:Drift:RewardDirection: '{options.Drift.RewardDirection}' is not a direction; use Decrease, Increase or Both.");
        }

        Check(options.Privacy, "Cohortly:Privacy", errors);
        Check(options.Scaling, "Cohortly:Scaling", errors);
        if (!Enum.IsDefined(options.Scaling.PartitionBalancer))
        {
            errors.Add($"Cohortly:Scaling:PartitionBalancer: '{options.Scaling.PartitionBalancer}' is not a balancer; use Leases or ConsistentRing.");
        }

        Check(options.Repeats, "Cohortly:Repeats", errors);
        _ = options.Repeats.Book(errors);
        if (options.Outcomes.MinuteRetention > options.Outcomes.HourRetention || options.Outcomes.HourRetention > options.Outcomes.DayRetention)
        {
            errors.Add("Cohortly:Outcomes: MinuteRetention must not exceed HourRetention, nor HourRetention DayRetention (coarser buckets answer longer ranges).");
        }
        if (options.Context.Problem() is { } context)
        {
            errors.Add($"Cohortly:Context:Keys: {context}.");
        }

        if (!string.IsNullOrEmpty(options.Cluster) && !CohortlyBackend.IsKnown(options.Cluster))
        {
            errors.Add($"Cohortly:Cluster: '{options.Cluster}' is not a backend; use one of {CohortlyBackend.KnownNames}.");
        }

        if (options.Streams.AcknowledgementTimeout <= options.Users.WriteBehind)
        {
            errors.Add("Cohortly:Streams:AcknowledgementTimeout must be longer than Cohortly:Users:WriteBehind, or events would be recovered while their save is still on its way.");
        }

        if (options.Streams.Inactivity > options.Users.IdleDeactivation)
        {
            errors.Add("Cohortly:Streams:Inactivity must not exceed Cohortly:Users:IdleDeactivation, or the pulling agents would keep the streams of users already deactivated.");
        }

        if (options.Segmentation.MinUsers < options.Segmentation.K)
        {
            errors.Add("Cohortly:Segmentation:MinUsers must be at least Cohortly:Segmentation:K.");
        }

        SegmentationAlgorithmSettings.Validate(options.Segmentation, errors);

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Check(object section, string prefix, List<string> errors)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(section, new ValidationContext(section), results, validateAllProperties: true))
        {
            foreach (var r in results)
            {
                errors.Add($"{prefix}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}");
            }
        }
    }
}
