using Cohortly.Contracts;
using Cohortly.Grains.Services;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;
using Orleans.Streams;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// The one silo configuration path. Both the standalone silo (src/Silo) and the gateway's embedded
/// silo call <see cref="AddCohortly"/>, so the two modes cannot drift apart.
/// </summary>
public static class CohortlySiloExtensions
{
    /// <summary>The backend's clustering (<see cref="CohortlyBackend.UseClustering(ISiloBuilder, CohortlyOptions)"/>) plus everything in <see cref="AddCohortlyServices"/>.</summary>
    public static ISiloBuilder AddCohortly(this ISiloBuilder silo, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = CohortlyConfiguration.Read(configuration);
        var backend = CohortlyBackend.From(configuration);
        backend.UseClustering(silo, options);
        silo.AddCohortlyScaling(options, backend);
        return silo.AddCohortlyServices(configuration);
    }

    /// <summary>
    /// The backend's storage, reminders and streams, plus the per-silo services. Separate from membership so a
    /// test cluster (which brings its own membership) runs exactly the production configuration otherwise.
    /// </summary>
    public static ISiloBuilder AddCohortlyServices(this ISiloBuilder silo, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = CohortlyConfiguration.Read(configuration);
        var backend = CohortlyBackend.From(configuration);
        var services = silo.Services;
        CohortlyConfiguration.AddOptions(services, configuration);
        services.TryAddSingleton(backend);

        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SystemTextJsonGrainStorageSerializer>();
        services.TryAddSingleton<DeflatedGrainStorageSerializer>();
        backend.AddStorage(silo, options);

        // Implicit subscriptions only (each backend's stream provider): otherwise every new user stream activates
        // and persists a pub-sub rendezvous grain, doubling activations and storage writes per user.
        // Defaults keep delivered events (30 min) and idle stream cursors (30 min) in memory; at
        // 100k users that dominates the heap. Short windows still cover redelivery after a failure; each backend
        // sets its StreamCacheEvictionOptions.
        // The cache purges an event only once it is older than the window *relative to the newest
        // event*, so after a burst the last window of it stays until new events come: with 2 min, the
        // whole population run of 100k users (~100 s) stayed cached, ~1.2 KB per resident user. The
        // in-memory queue's backlog is bounded (IngestionBacklog, MaxIngestBacklog events, a few
        // seconds of work), so no cursor lags 30 s behind the newest event (embedded: 10 s / 30 s); Redis keeps 2 min.
        services.Configure<StreamPullingAgentOptions>(StreamNames.Provider, o =>
        {
            o.StreamInactivityPeriod = options.Streams.Inactivity;
            o.GetQueueMsgsTimerPeriod = options.Streams.Poll;
        });
        Users.UserCollection.Configure(services, options.Users.IdleDeactivation, options.Silo.DirectoryCacheSize);
        silo.AddActivityPropagation();

        services.TryAddSingleton<CohortlyMetrics>();
        services.AddSingleton<IngestionBacklog>();
        // One profile configuration for live users and training (Cohortly:Users).
        var profile = options.Users.Profile();
        services.AddSingleton(profile);
        services.AddSingleton<Users.UserGrainSettings>();
        services.AddSingleton<Users.LocalUsers>();
        // A gateway hosting this silo reads users through it directly (no worker message); see IUserReads.
        services.AddSingleton<Users.SiloUserReads>();
        services.AddSingleton<IUserReads>(sp => sp.GetRequiredService<Users.SiloUserReads>());
        services.AddSingleton<Users.UserGrainServices>();
        services.AddSingleton<Users.UserPrivacy>();
        services.TryAddSingleton(UserPseudonyms.For(options.PseudonymKey));
        // Orleans' and ASP.NET Core's own log lines name user grains, streams and paths: pseudonyms there too.
        services.AddUserIdLogRedaction(options.PseudonymKey);
        services.AddSingleton<CatalogCache>();
        services.AddSingleton<SegmentationCache>();
        services.AddSingleton<CohortSnapshotCache>();
        services.AddSingleton<ExperimentCache>();
        services.AddSingleton<RulesCache>();
        services.AddSingleton<ActivityAggregator>();
        // Outcomes are summed per silo and flushed with the activity deltas (SiloBackgroundWork.FlushAsync).
        services.AddSingleton<OutcomeAggregator>();
        services.AddSingleton<Modeling.Outcomes.IOutcomeRecorder>(sp => sp.GetRequiredService<OutcomeAggregator>());
        Training.TrainingRegistration.AddTrainingServices(services, configuration, profile);
        // The operators' panel: one stats service per silo, read only on request (GET /v1/admin/cluster).
        services.AddGrainService<Cluster.SiloStatsService>();
        services.AddSingleton<Cluster.ISiloStatsClient, Cluster.SiloStatsClient>();
        services.AddSingleton<SiloBackgroundWork>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloBackgroundWork>());
        // The first user state a silo reads back costs tens of ms (converters built, code compiled): paid at start instead.
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, StateCodecWarmup>();
        return silo;
    }
}

/// <summary>Reading and validating the "Cohortly" section; shared by silos and the gateway client.</summary>
public static class CohortlyConfiguration
{
    /// <summary>
    /// Settings that were renamed when durations became <see cref="TimeSpan"/>s. The binder ignores keys it does
    /// not know, so an old key left in an environment would silently fall back to the default: refuse it instead.
    /// </summary>
    private static readonly (string Old, string New)[] Renamed =
    [
        ("IngestWaitMilliseconds", "IngestWait"),
        ("FlushMilliseconds", "Flush"),
        ("CachePollMilliseconds", "CachePoll"),
        ("Users:WriteBehindSeconds", "Users:WriteBehind"),
        ("Users:AffinityHalfLifeDays", "Users:AffinityHalfLife"),
        ("Users:SessionGapMinutes", "Users:SessionGap"),
        ("Segmentation:IntervalMinutes", "Segmentation:Interval"),
        ("Segmentation:SamplePushMilliseconds", "Segmentation:SamplePush"),
        ("Streams:RetentionHours", "Streams:Retention"),
        ("Streams:PollMilliseconds", "Streams:Poll"),
        ("Streams:InactivitySeconds", "Streams:Inactivity"),
        ("Training:RetentionDays", "Training:Retention"),
        ("Training:IntervalMinutes", "Training:Interval"),
        ("Training:ModelPollSeconds", "Training:ModelPoll"),
    ];

    public static CohortlyOptions Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new CohortlyOptions();
        var section = configuration.GetSection(CohortlyOptions.Section);
        section.Bind(options);
        var result = new CohortlyOptionsValidator().Validate(null, options);
        var failures = result.Failed ? result.Failures.ToList() : [];
        foreach (var (old, renamed) in Renamed)
        {
            if (section[old] is not null)
            {
                failures.Add($"Cohortly:{old} is no longer read: set Cohortly:{renamed}, a duration such as 00:00:05 (hh:mm:ss) or 7.00:00:00 (days).");
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(nameof(CohortlyOptions), typeof(CohortlyOptions), failures);
        }

        return options;
    }

    public static void AddOptions(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CohortlyOptions>().Bind(configuration.GetSection(CohortlyOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CohortlyOptions>, CohortlyOptionsValidator>());
        DataEncryptionOptions.Register(services, configuration);
    }
}
