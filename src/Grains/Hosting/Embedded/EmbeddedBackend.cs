using Cohortly.Contracts;
using Cohortly.Grains.Audit;
using Cohortly.Grains.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.Streams;

namespace Cohortly.Grains.Hosting.Embedded;

/// <summary>
/// One silo inside the gateway process: localhost clustering, grain state and reminders in memory, Orleans memory
/// streams, and the training log, models and audit trail as files under <c>Cohortly:Training:DataDirectory</c>.
/// </summary>
public sealed class EmbeddedBackend : CohortlyBackend
{
    public const string Name = "Embedded";

    public override bool InProcess => true;

    public override bool StateOutlivesProcess => false;

    public override void UseClustering(ISiloBuilder silo, CohortlyOptions options)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(options);
        silo.UseLocalhostClustering(options.Silo.Port, options.Silo.GatewayPort);
    }

    public override void AddStorage(ISiloBuilder silo, CohortlyOptions options)
    {
        ArgumentNullException.ThrowIfNull(silo);
        foreach (var name in new[] { StreamNames.Storage, StreamNames.PubSubStore })
        {
            silo.AddMemoryGrainStorage(name, b => b.Configure<IServiceProvider>((o, sp) =>
            {
                // The in-process copy of every state is part of each resident user's cost: deflated JSON.
                o.GrainStorageSerializer = sp.GetRequiredService<DeflatedGrainStorageSerializer>();
                // Each storage grain serializes its writes; the default 10 queue up under write-behind bursts.
                o.NumStorageGrains = 64;
            }));
        }

        silo.UseInMemoryReminderService();
        silo.AddMemoryStreams(StreamNames.Provider, s => s.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly));
        // The cache window and why it is short: CohortlySiloExtensions.AddCohortlyServices.
        silo.Services.Configure<StreamCacheEvictionOptions>(StreamNames.Provider, o =>
        {
            o.DataMinTimeInCache = TimeSpan.FromSeconds(10);
            o.DataMaxAgeInCache = TimeSpan.FromSeconds(30);
        });

        AddLogAndSink(silo.Services);
        silo.Services.TryAddSingleton<IModelStore, FileModelStore>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, DataDirectoryAtStart>();
    }

    public override void UseClustering(IClientBuilder client, CohortlyOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        client.UseLocalhostClustering(options.Silo.GatewayPort, options.ServiceId, options.ClusterId);
    }

    public override void AddStorage(IClientBuilder client, CohortlyOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        client.AddMemoryStreams(StreamNames.Provider, s => s.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly));
        AddLogAndSink(client.Services);
    }

    /// <summary>
    /// Creates the data directory as the silo starts rather than at the first event or training run, so a path
    /// that cannot be created stops the start naming Cohortly:Training:DataDirectory.
    /// </summary>
    private sealed class DataDirectoryAtStart(IServiceProvider services) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(DataDirectoryAtStart), ServiceLifecycleStage.First, _ =>
            {
                services.GetRequiredService<TrainingDataDirectory>();
                return Task.CompletedTask;
            });
    }

    /// <summary>The log files training reads, the gateway's sink that writes events to them (attributes: the user grain), and the audit trail.</summary>
    private static void AddLogAndSink(IServiceCollection services)
    {
        services.TryAddSingleton<TrainingDataDirectory>();
        // One instance behind both interfaces: erasure and appends share the files' lock.
        services.TryAddSingleton<FileInteractionLog>();
        services.TryAddSingleton<IInteractionLog>(static sp => sp.GetRequiredService<FileInteractionLog>());
        services.TryAddSingleton<IUserDataLog>(static sp => sp.GetRequiredService<FileInteractionLog>());
        services.TryAddSingleton<InteractionStreamPublisher>();
        services.TryAddSingleton<IEventSink, EmbeddedEventSink>();
        services.TryAddSingleton<IAuditLog, FileAuditLog>();
    }
}
