using Microsoft.AspNetCore.Diagnostics;
using Orleans.Runtime;

namespace Cohortly.Gateway.Hosting;

/// <summary>
/// A grain call that fails because its silo just died (or the cluster cannot be reached) is a
/// transient condition, not a server bug: it answers 503 with Retry-After, so clients retry instead of
/// giving up on a 500. During a fail-over this covers the few seconds until the dead silo is voted out
/// and its users' grains reactivate elsewhere.
/// </summary>
public sealed partial class ClusterUnavailableHandler(IProblemDetailsService problems, ILogger<ClusterUnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsTransient(exception) || httpContext.Response.HasStarted)
        {
            return false;
        }

        LogUnavailable(logger, exception.GetType().Name);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "1";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Cluster temporarily unavailable",
                Detail = "The silo serving this request is unavailable (fail-over in progress); retry shortly.",
            },
        });
    }

    internal static bool IsTransient(Exception exception) => exception switch
    {
        OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException or TimeoutException => true,
        AggregateException { InnerExceptions.Count: 1 } aggregate => IsTransient(aggregate.InnerExceptions[0]),
        _ => false,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Grain call failed transiently ({ExceptionType}); answered 503")]
    private static partial void LogUnavailable(ILogger logger, string exceptionType);
}
