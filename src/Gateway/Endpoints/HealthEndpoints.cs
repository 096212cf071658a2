using Cohortly.Contracts;

namespace Cohortly.Gateway.Endpoints;

public static class HealthEndpoints
{
    public static void MapHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", () => TypedResults.Ok(new { status = "alive" })).WithTags("Health").AllowAnonymous();
        routes.MapGet("/readyz", Ready).WithTags("Health").AllowAnonymous();
    }

    /// <summary>Ready when a grain call round-trips through the cluster.</summary>
    private static async Task<IResult> Ready(IClusterClient client, CancellationToken cancellationToken)
    {
        try
        {
            var version = await client.GetGrain<ICatalogGrain>(ICatalogGrain.Key).GetVersion().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return TypedResults.Ok(new { status = "ready", catalogVersion = version });
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return TypedResults.Problem(statusCode: 503, title: "Cluster not reachable", detail: ex.GetType().Name);
        }
    }
}
