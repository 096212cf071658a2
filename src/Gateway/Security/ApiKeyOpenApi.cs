using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Cohortly.Gateway.Security;

/// <summary>
/// Declares the X-Api-Key scheme in the OpenAPI document and, on every operation whose endpoint requires
/// authorization, the requirement and the 401/403 problems <see cref="ApiKeyAuthenticationHandler"/> answers. Read
/// from the endpoint's authorization metadata, so the document cannot claim a route is open when it is not.
/// </summary>
public static class ApiKeyOpenApi
{
    public static OpenApiOptions AddApiKeySecurity(this OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
            document.Components.SecuritySchemes[ApiKeyAuthenticationHandler.SchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyAuthenticationHandler.Header,
                Description = $"A named client key with role '{Roles.App}' (events, recommendations, attributes, similar items), '{Roles.Analyst}' (reads: cohorts, models, segmentation, stats) or '{Roles.Admin}' (everything). Each operation's 403 says which roles it accepts; over its role's rate limit a key gets 429 with Retry-After.",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer(async (operation, context, cancellationToken) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<IAllowAnonymous>().Any() || !metadata.OfType<IAuthorizeData>().Any())
            {
                return;
            }

            var problem = await context.GetOrCreateSchemaAsync(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), null, cancellationToken);
            var roles = string.Join("; ", metadata.OfType<IAuthorizeData>().Select(a => a.Policy is { } p ? Policies.Describe(p) : a.Roles ?? "any valid key").Distinct());
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(ApiKeyAuthenticationHandler.SchemeName, context.Document)] = [],
            });
            operation.Responses ??= [];
            operation.Responses.TryAdd("401", Problem($"No valid API key in the {ApiKeyAuthenticationHandler.Header} header.", problem));
            operation.Responses.TryAdd("403", Problem($"The key's role may not call this endpoint (requires: {roles}).", problem));
            operation.Responses.TryAdd("429", Problem("The key used its requests for this period (Cohortly:RateLimits); the Retry-After header says when to retry.", problem));
        });
        return options;
    }

    private static OpenApiResponse Problem(string description, IOpenApiSchema schema) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
        {
            ["application/problem+json"] = new OpenApiMediaType { Schema = schema },
        },
    };
}
