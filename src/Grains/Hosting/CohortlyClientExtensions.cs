using Cohortly.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;

namespace Cohortly.Grains.Hosting;

/// <summary>Configuration of a gateway that runs as a pure Orleans client (a backend that is not in-process).</summary>
public static class CohortlyClientExtensions
{
    public static IClientBuilder AddCohortlyClient(this IClientBuilder client, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(client);
        var options = CohortlyConfiguration.Read(configuration);
        var backend = CohortlyBackend.From(configuration);
        CohortlyConfiguration.AddOptions(client.Services, configuration);
        client.Services.TryAddSingleton(backend);
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });

        backend.UseClustering(client, options);
        // The stream and the backend's IEventSink the gateway hands accepted events to.
        backend.AddStorage(client, options);
        client.AddActivityPropagation();
        // Per-request user reads go to a silo's user-serving worker (a silo in the gateway's process reads directly).
        client.Services.TryAddSingleton<IUserReads, Users.WorkerUserReads>();
        // The gateway's log lines (request paths, grain calls) carry pseudonyms, as a silo's do.
        client.Services.AddUserIdLogRedaction(options.PseudonymKey);
        return client;
    }
}
