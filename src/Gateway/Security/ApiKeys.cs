using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Cohortly.Gateway.Security;

/// <summary>
/// API keys from <c>Cohortly:ApiKeys</c>. Named keys, one per client application, under <c>Keys:{n}</c>
/// (<c>Cohortly__ApiKeys__Keys__0__Name=shop-web</c>, <c>__Role=app</c>, <c>__Key=…</c>, optional <c>__PreviousKey</c>
/// during a rotation). The single-key settings <c>App</c>, <c>Analyst</c> and <c>Admin</c> are kept: each is a
/// key named after its role.
/// </summary>
public sealed class ApiKeyOptions
{
    public const string Section = "Cohortly:ApiKeys";

    /// <summary>A key named "app" with role app.</summary>
    public string? App { get; set; }

    /// <summary>A key named "analyst" with role analyst.</summary>
    public string? Analyst { get; set; }

    /// <summary>A key named "admin" with role admin.</summary>
    public string? Admin { get; set; }

    public List<NamedApiKey> Keys { get; set; } = [];

    /// <summary>
    /// Whether analyst keys may call the app role's GET endpoints (a user's profile, recommendations, similar
    /// items). Off by default: a recommendation read is served like the app's and counts as an impression.
    /// Every such read is audited.
    /// </summary>
    public bool AnalystReadsUsers { get; set; }

    /// <summary>Every key of the configuration: the named ones, then the single-key settings.</summary>
    public IReadOnlyList<NamedApiKey> All()
    {
        var all = new List<NamedApiKey>(Keys.Count + 3);
        all.AddRange(Keys);
        if (!string.IsNullOrEmpty(App))
        {
            all.Add(new NamedApiKey { Name = Roles.App, Role = Roles.App, Key = App });
        }

        if (!string.IsNullOrEmpty(Analyst))
        {
            all.Add(new NamedApiKey { Name = Roles.Analyst, Role = Roles.Analyst, Key = Analyst });
        }

        if (!string.IsNullOrEmpty(Admin))
        {
            all.Add(new NamedApiKey { Name = Roles.Admin, Role = Roles.Admin, Key = Admin });
        }

        return all;
    }

    /// <summary>Every problem with the keys, each naming the setting; empty when they are usable.</summary>
    public List<string> Problems()
    {
        var problems = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var secrets = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Keys.Count; i++)
        {
            var key = Keys[i];
            var at = $"{Section}:Keys:{i}";
            if (string.IsNullOrWhiteSpace(key.Name))
            {
                problems.Add($"{at}:Name is empty; every key needs the name of its client application.");
            }
            else if (!IsName(key.Name))
            {
                problems.Add($"{at}:Name '{key.Name}' may hold only letters, digits, '-', '_' and '.' (at most 64).");
            }

            if (!Roles.IsKnown(key.Role))
            {
                problems.Add($"{at}:Role '{key.Role}' is not a role; use {Roles.KnownNames}.");
            }

            if (string.IsNullOrEmpty(key.Key))
            {
                problems.Add($"{at}:Key is empty.");
            }
            else if (key.Key.Length < 16)
            {
                problems.Add($"{at}:Key is shorter than 16 characters.");
            }

            if (key.PreviousKey is { Length: > 0 and < 16 })
            {
                problems.Add($"{at}:PreviousKey is shorter than 16 characters.");
            }
        }

        foreach (var key in All())
        {
            if (!string.IsNullOrWhiteSpace(key.Name) && !names.Add(key.Name))
            {
                problems.Add($"Two API keys are named '{key.Name}' (the single-key settings App, Analyst and Admin are named after their role); give each client one entry and rotate with PreviousKey.");
            }

            foreach (var secret in new[] { key.Key, key.PreviousKey })
            {
                if (!string.IsNullOrEmpty(secret) && !secrets.Add(secret))
                {
                    problems.Add($"The key of '{key.Name}' is also configured for another entry; each key must belong to one client.");
                }
            }
        }

        return problems;
    }

    private static bool IsName(string name)
    {
        if (name.Length > 64)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>One client application's key. <see cref="PreviousKey"/> stays valid until it is removed (rotation).</summary>
public sealed class NamedApiKey
{
    public string Name { get; set; } = "";

    public string Role { get; set; } = "";

    public string Key { get; set; } = "";

    public string? PreviousKey { get; set; }
}

/// <summary>Fails the start with every problem of <see cref="ApiKeyOptions"/>.</summary>
public sealed class ApiKeyOptionsValidator : IValidateOptions<ApiKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiKeyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

public static class Roles
{
    public const string App = "app";
    public const string Analyst = "analyst";
    public const string Admin = "admin";

    public static string KnownNames => $"'{App}', '{Analyst}' or '{Admin}'";

    public static bool IsKnown(string? role) => role is App or Analyst or Admin;
}

/// <summary>The authenticated key: its name and role, on the principal (<see cref="ClaimTypes.Name"/>, <see cref="ClaimTypes.Role"/>).</summary>
public static class ApiKeyPrincipal
{
    public static string? KeyName(this ClaimsPrincipal user) =>
        user?.Identity is { IsAuthenticated: true } identity ? identity.Name : null;

    public static string? KeyRole(this ClaimsPrincipal user) =>
        user?.Identity is ClaimsIdentity { IsAuthenticated: true } identity ? identity.FindFirst(identity.RoleClaimType)?.Value : null;
}

/// <summary>
/// Authenticates the X-Api-Key header. Keys are compared as SHA-256 digests with a fixed-time comparison against
/// every configured key (no early exit), so neither content, length nor position leaks through timing. Keys are
/// never logged. The principal's name is the key's name, its one role claim the key's role.
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
        string? key;
        if (Request.Headers.TryGetValue(Header, out var values))
        {
            key = values.Count == 1 ? values[0] : null;
        }
        else
        {
            key = OrleansDashboardKey(Request);
        }

        if (string.IsNullOrEmpty(key))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        // The key's bytes on the stack (a key is tens of characters); only an oversized header pays for an array.
        var length = Encoding.UTF8.GetMaxByteCount(key.Length);
        Span<byte> utf8 = length <= 512 ? stackalloc byte[length] : new byte[length];
        SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(key, utf8)], presented);
        var match = keys.Find(presented);
        if (match is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("invalid API key"));
        }

        // A fresh principal per request (claims are copied onto it), so no request can change another's.
        var principal = new ClaimsPrincipal(new ClaimsIdentity(match.Claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    /// <summary>The cookie the dashboard sets for an admin key, read only under <see cref="OrleansDashboardPath"/>.</summary>
    public const string OrleansDashboardCookie = "cohortly-orleans-key";

    /// <summary>Where the Orleans Dashboard is mapped (admin policy).</summary>
    public const string OrleansDashboardPath = "/orleans";

    /// <summary>
    /// A browser cannot add a header when it navigates, so the Orleans Dashboard's pages and its own fetches carry the key
    /// in a cookie the Cohortly dashboard sets for admin keys (path /orleans, SameSite=Strict, so no other site's page
    /// can make the browser send it). It is read nowhere else: every other endpoint still needs the header, so the
    /// cookie cannot make the API's actions forgeable across sites.
    /// </summary>
    private static string? OrleansDashboardKey(HttpRequest request) =>
        request.Path.StartsWithSegments(OrleansDashboardPath, StringComparison.OrdinalIgnoreCase)
            && request.Cookies.TryGetValue(OrleansDashboardCookie, out var cookie)
            ? Uri.UnescapeDataString(cookie)
            : null;

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
        var role = Context.User.KeyRole() ?? "none";
        await Results.Problem(
            statusCode: 403,
            title: "Forbidden",
            detail: $"This API key's role ('{role}') may not call this endpoint with {Request.Method}.",
            extensions: new Dictionary<string, object?> { ["field"] = Header }).ExecuteAsync(Context);
    }
}

/// <summary>
/// SHA-256 digests of the configured keys (current and previous) with their claims, computed once:
/// handlers are created per request.
/// </summary>
public sealed class ApiKeyDigests
{
    private readonly Entry[] _entries;

    public ApiKeyDigests(IOptions<ApiKeyOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var entries = new List<Entry>();
        foreach (var key in options.Value.All())
        {
            Claim[] claims = [new Claim(ClaimTypes.Name, key.Name), new Claim(ClaimTypes.Role, key.Role)];
            foreach (var secret in new[] { key.Key, key.PreviousKey })
            {
                if (!string.IsNullOrEmpty(secret))
                {
                    entries.Add(new Entry(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), key.Name, key.Role, claims));
                }
            }
        }

        _entries = [.. entries];
    }

    /// <summary>The key whose digest equals <paramref name="presented"/>; every entry is compared.</summary>
    public Entry? Find(ReadOnlySpan<byte> presented)
    {
        Entry? found = null;
        foreach (var entry in _entries)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, entry.Digest))
            {
                found = entry;
            }
        }

        return found;
    }

    public sealed record Entry(byte[] Digest, string Name, string Role, IReadOnlyList<Claim> Claims);
}
