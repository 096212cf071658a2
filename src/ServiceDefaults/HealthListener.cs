using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cohortly.ServiceDefaults;

/// <summary>
/// A small HTTP listener serving only <c>/healthz</c> and <c>/readyz</c> from the host's own health checks, for hosts
/// that are not web applications (the standalone silo) so Kubernetes probes can reach them. Port 0 starts nothing.
/// It is its own tiny Kestrel app rather than turning the host into a web host: the silo keeps no HTTP pipeline,
/// ports or middleware it does not use, and nothing but the two probes is reachable on this port.
/// </summary>
public sealed partial class HealthListener(Func<IServiceProvider, int> port, IServiceProvider services, ILogger<HealthListener> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? app;

    /// <summary>The port the listener is bound to, once started (useful when the configured port was chosen by the OS).</summary>
    public int? BoundPort { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var configured = port(services);
        if (configured <= 0)
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // Stopped by the host's own shutdown, in order, not by a console lifetime of its own reacting to SIGTERM.
        builder.Services.AddSingleton<IHostLifetime, HostOwnedLifetime>();
        builder.WebHost.UseKestrel(k => k.ListenAnyIP(configured));
        // The probes run the host's checks, not copies: the listener shares the host's health-check service.
        builder.Services.AddSingleton(services.GetRequiredService<HealthCheckService>());
        app = builder.Build();
        app.MapCohortlyHealth();
        await app.StartAsync(cancellationToken);
        BoundPort = configured;
        Listening(logger, configured);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (app is not null)
        {
            await app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
            app = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Health probes listening on port {Port} (/healthz, /readyz)")]
    private static partial void Listening(ILogger logger, int port);
}

internal sealed class HostOwnedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class HealthListenerExtensions
{
    /// <summary>Serves the host's health checks on their own port, read from the built host's services at start (0: off).</summary>
    public static IServiceCollection AddCohortlyHealthListener(this IServiceCollection services, Func<IServiceProvider, int> port)
    {
        services.AddSingleton(sp => new HealthListener(port, sp, sp.GetRequiredService<ILogger<HealthListener>>()));
        services.AddHostedService(sp => sp.GetRequiredService<HealthListener>());
        return services;
    }
}
