using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Cohortly.Gateway.Security;

/// <summary>
/// Requests per API key, by the key's role, from <c>Cohortly:RateLimits:{App|Analyst|Admin}</c>. Each key name has
/// its own token bucket of <see cref="RoleRateLimit.Permits"/> refilled every <see cref="RoleRateLimit.Period"/>,
/// so one client cannot use up another's share; a key's previous key during a rotation shares its bucket.
/// </summary>
public sealed class KeyRateLimitOptions
{
    public const string Section = "Cohortly:RateLimits";

    /// <summary>High enough that the load bench (5,000 req/s on one app key) never meets it.</summary>
    [Required]
    public RoleRateLimit App { get; set; } = new() { Permits = 100_000 };

    [Required]
    public RoleRateLimit Analyst { get; set; } = new() { Permits = 1_000 };

    [Required]
    public RoleRateLimit Admin { get; set; } = new() { Permits = 10_000 };

}

public sealed class RoleRateLimit
{
    /// <summary>Requests a key may make per period, and the largest burst.</summary>
    [Range(1, 100_000_000)]
    public int Permits { get; set; } = 1_000;

    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan Period { get; set; } = TimeSpan.FromSeconds(1);
}

public static class KeyRateLimits
{
    public static IServiceCollection AddKeyRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<KeyRateLimitOptions>().Bind(configuration.GetSection(KeyRateLimitOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => Valid(o.App) && Valid(o.Analyst) && Valid(o.Admin), $"{KeyRateLimitOptions.Section}:<Role>:Permits must be 1..100000000 and :Period 10 ms..1 day.")
            .ValidateOnStart();
        services.AddRateLimiter(static _ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<KeyRateLimitOptions>>((o, limits) =>
        {
            // One bucket factory per role, built once: the per-request path allocates no closure.
            var app = Bucket(limits.Value.App);
            var analyst = Bucket(limits.Value.Analyst);
            var admin = Bucket(limits.Value.Admin);
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                var name = http.User.KeyName();
                if (name is null)
                {
                    // No valid key: the request gets 401 from authorization, nothing to share out.
                    return RateLimitPartition.GetNoLimiter("");
                }

                var bucket = http.User.KeyRole() switch
                {
                    Roles.App => app,
                    Roles.Analyst => analyst,
                    _ => admin,
                };
                return RateLimitPartition.GetTokenBucketLimiter(name, bucket);
            });
            o.OnRejected = Rejected;
        });
        return services;
    }

    private static Func<string, TokenBucketRateLimiterOptions> Bucket(RoleRateLimit limit)
    {
        var options = new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit.Permits,
            TokensPerPeriod = limit.Permits,
            ReplenishmentPeriod = limit.Period,
            QueueLimit = 0,
            AutoReplenishment = true,
        };
        return _ => options;
    }

    private static bool Valid(RoleRateLimit limit) =>
        limit is not null && limit.Permits is >= 1 and <= 100_000_000 && limit.Period >= TimeSpan.FromMilliseconds(10) && limit.Period <= TimeSpan.FromDays(1);

    private static async ValueTask Rejected(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        var http = context.HttpContext;
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Results.Problem(
            statusCode: StatusCodes.Status429TooManyRequests,
            title: "Too many requests",
            detail: $"The key '{http.User.KeyName()}' used its requests for this period; retry after {seconds} s.",
            extensions: new Dictionary<string, object?> { ["field"] = ApiKeyAuthenticationHandler.Header, ["retryAfterSeconds"] = seconds })
            .ExecuteAsync(http);
    }
}
