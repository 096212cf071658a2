using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Cohortly.Gateway.Security;

/// <summary>
/// The authorization policies endpoints name in <c>RequireAuthorization</c>. Two of them decide by HTTP method, so
/// a group that holds reads and actions (GET and POST under <c>/v1/admin/training</c>) needs one policy, and an
/// endpoint added to a group gets the right rule without its own line.
/// </summary>
public static class Policies
{
    /// <summary>The app role's endpoints: app and admin keys; analyst keys for GET when <c>AnalystReadsUsers</c> is on.</summary>
    public const string App = Roles.App;

    /// <summary>GET and HEAD: analyst and admin keys. Any other method: admin keys only.</summary>
    public const string Read = "read";

    /// <summary>Admin keys only, whatever the method (the audit log, for one).</summary>
    public const string Admin = Roles.Admin;

    /// <summary>Who may call an endpoint under <paramref name="policy"/>, for the OpenAPI document.</summary>
    public static string Describe(string policy) => policy switch
    {
        App => "app or admin key (analyst for GET when Cohortly:ApiKeys:AnalystReadsUsers is on)",
        Read => "GET: analyst or admin key; other methods: admin key",
        Admin => "admin key",
        _ => policy,
    };

    public static AuthorizationBuilder AddCohortlyPolicies(this AuthorizationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IAuthorizationHandler, MethodRoleHandler>();
        return builder
            .AddPolicy(App, p => p.AddRequirements(new MethodRoleRequirement(MethodRoleRequirement.Scope.App)))
            .AddPolicy(Read, p => p.AddRequirements(new MethodRoleRequirement(MethodRoleRequirement.Scope.Read)))
            .AddPolicy(Admin, p => p.RequireRole(Roles.Admin));
    }
}

/// <summary>The role rule of <see cref="Policies.App"/> or <see cref="Policies.Read"/>, by request method.</summary>
public sealed record MethodRoleRequirement(MethodRoleRequirement.Scope Of) : IAuthorizationRequirement
{
    public enum Scope
    {
        App,
        Read,
    }
}

public sealed class MethodRoleHandler(IOptions<ApiKeyOptions> keys) : AuthorizationHandler<MethodRoleRequirement>
{
    private readonly bool _analystReadsUsers = keys.Value.AnalystReadsUsers;

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, MethodRoleRequirement requirement)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(requirement);
        var role = context.User.KeyRole();
        var safe = context.Resource is HttpContext http && (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method));
        var allowed = role switch
        {
            Roles.Admin => true,
            Roles.App => requirement.Of == MethodRoleRequirement.Scope.App,
            Roles.Analyst => safe && (requirement.Of == MethodRoleRequirement.Scope.Read || _analystReadsUsers),
            _ => false,
        };
        if (allowed)
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
