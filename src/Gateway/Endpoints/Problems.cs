using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

/// <summary>RFC 9457 problem details that always name the offending field.</summary>
public static class Problems
{
    public static ValidationProblem Field(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, detail: $"{field}: {message}");

    public static ValidationProblem Fields(IEnumerable<(string Field, string Message)> errors)
    {
        var map = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (field, message) in errors)
        {
            map[field] = map.TryGetValue(field, out var existing) ? [.. existing, message] : [message];
        }

        var first = map.First();
        return TypedResults.ValidationProblem(map, detail: $"{first.Key}: {first.Value[0]}");
    }

    public static ProblemHttpResult TooLarge(long limit) =>
        TypedResults.Problem(statusCode: 413, title: "Payload too large", detail: $"The request body must be at most {limit} bytes.", extensions: new Dictionary<string, object?> { ["field"] = "body" });

    /// <summary>Reads a JSON body with a size cap; malformed JSON becomes a problem naming the JSON path.</summary>
    public static async Task<(T? Value, ProblemHttpResult? TooLarge, ValidationProblem? Invalid)> ReadJsonAsync<T>(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
        where T : class
    {
        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(maxBytes), null);
        }

        if (!request.HasJsonContentType())
        {
            return (null, null, Field("body", "Content-Type must be application/json"));
        }

        try
        {
            var options = request.HttpContext.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, options, cancellationToken);
            return value is null ? (null, null, Field("body", "must be a JSON object, not null")) : (value, null, null);
        }
        catch (JsonException ex)
        {
            var path = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "body" : ex.Path.TrimStart('$', '.');
            var reason = ex.Message.Contains("could not be converted", StringComparison.Ordinal)
                ? "has the wrong JSON type for this field"
                : "is malformed JSON (unexpected or missing token)";
            return (null, null, Field(path, reason + (ex.LineNumber is { } line ? $" at line {line + 1}, byte {ex.BytePositionInLine + 1}" : string.Empty)));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(maxBytes), null);
        }
    }
}

/// <summary>
/// Names the field on the problems the framework writes before an endpoint runs (status-code pages), so those
/// rejections name what to fix like the endpoints' own: a 415 is about the Content-Type header.
/// </summary>
public static class ProblemFields
{
    public static void Name(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.ProblemDetails.Status == StatusCodes.Status415UnsupportedMediaType && !context.ProblemDetails.Extensions.ContainsKey("field"))
        {
            context.ProblemDetails.Extensions["field"] = "Content-Type";
            context.ProblemDetails.Detail ??= "Content-Type must be application/json.";
        }
    }
}

