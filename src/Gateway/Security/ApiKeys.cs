using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Cohortly.Gateway.Security;

/// <summary>API keys by role, from Cohortly:ApiKeys:App and Cohortly:ApiKeys:Admin (environment variables work).</summary>
public sealed class ApiKeyOptions
{
    public const string Section = "Cohortly:ApiKeys";

    public string? App { get; set; }

    public string? Admin { get; set; }
}

public static class Roles
{
    public const string App = "app";
    public const string Admin = "admin";
}

/// <summary>
/// Authenticates the X-Api-Key header. Keys are compared as SHA-256 digests with a fixed-time
/// comparison, so neither content nor length leaks through timing. Keys are never logged.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyDigests keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string Header = "X-Api-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(Header, out var values) || values.Count != 1 || string.IsNullOrEmpty(values[0]))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(values[0]!));
        var isAdmin = Matches(presented, keys.Admin);
        var isApp = Matches(presented, keys.App);
        if (!isAdmin && !isApp)
        {
            return Task.FromResult(AuthenticateResult.Fail("invalid API key"));
        }

        var claims = new List<Claim> { new(ClaimTypes.Name, isAdmin ? Roles.Admin : Roles.App), new(ClaimTypes.Role, Roles.App) };
        if (isAdmin)
        {
            claims.Add(new Claim(ClaimTypes.Role, Roles.Admin));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        await Results.Problem(
            statusCode: 401,
            title: "Unauthorized",
            detail: $"A valid API key is required in the {Header} header.",
            extensions: new Dictionary<string, object?> { ["field"] = Header }).ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await Results.Problem(
            statusCode: 403,
            title: "Forbidden",
            detail: "This API key's role may not call this endpoint; it needs the admin key.",
            extensions: new Dictionary<string, object?> { ["field"] = Header }).ExecuteAsync(Context);
    }

    private static bool Matches(byte[] presented, byte[]? configured) =>
        configured is not null && CryptographicOperations.FixedTimeEquals(presented, configured);
}

/// <summary>
/// SHA-256 digests of the configured keys, computed once: handlers are created per request, and hashing both
/// configured keys again on every request was two of its three digests.
/// </summary>
public sealed class ApiKeyDigests(IOptions<ApiKeyOptions> keys)
{
    public byte[]? Admin { get; } = Digest(keys.Value.Admin);

    public byte[]? App { get; } = Digest(keys.Value.App);

    private static byte[]? Digest(string? configured) =>
        string.IsNullOrEmpty(configured) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(configured));
}
