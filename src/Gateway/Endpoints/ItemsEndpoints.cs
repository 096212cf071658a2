using Cohortly.Contracts;
using Cohortly.Gateway.Ingestion;
using Cohortly.Gateway.Security;
using Cohortly.Modeling.Events;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

public sealed record ItemDto(string? Id, string? Title, List<string?>? Categories, List<string?>? Tags, double? Price, bool? Available);

public sealed record ItemBatchRequest(List<ItemDto?>? Items);

public sealed record ItemBatchResponse(int Upserted, long CatalogVersion);

public static class ItemsEndpoints
{
    public const int MaxBatch = 1000;
    public const long MaxBodyBytes = 4 * 1024 * 1024;
    private const int MaxTitle = 512;
    private const int MaxLabels = 32;

    public static void MapItems(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/items").WithTags("Items").RequireAuthorization(Policies.Read);
        group.MapPut("/", PutItems)
            .WithName("PutItems")
            .WithSummary("Upsert a batch of 1..1000 catalog items")
            .Accepts<ItemBatchRequest>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        group.MapGet("/{itemId}", GetItem)
            .WithName("GetItem")
            .ProducesProblem(StatusCodes.Status404NotFound);

        // Apps show "similar items" on product pages, so this one is open to the app role.
        routes.MapGroup("/v1/items").WithTags("Items").RequireAuthorization(Policies.App)
            .MapGet("/{itemId}/similar", GetSimilar)
            .WithName("GetSimilarItems")
            .WithSummary("Available items most similar to an item, from the active model's item neighbours")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<Results<Ok<SimilarItemsResponse>, ValidationProblem, ProblemHttpResult>> GetSimilar(string itemId, IClusterClient client, string? count = null)
    {
        if (EventValidator.CheckId(itemId) is { } idProblem)
        {
            return Problems.Field("itemId", idProblem);
        }

        var n = 10;
        if (count is not null && (!int.TryParse(count, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out n) || n < 1 || n > UsersEndpoints.MaxCount))
        {
            return Problems.Field("count", $"must be a whole number between 1 and {UsersEndpoints.MaxCount}");
        }

        try
        {
            var similar = await client.GetItemSimilarityGrain().Similar(itemId, n);
            return similar is null
                ? TypedResults.Problem(statusCode: 404, title: "Item not in the model", detail: $"The active model has no interactions or metadata for item '{itemId}'; it gets neighbours after the next training run.", extensions: new Dictionary<string, object?> { ["field"] = "itemId" })
                : TypedResults.Ok(similar);
        }
        catch (InsufficientDataException ex)
        {
            return TypedResults.Problem(statusCode: 409, title: "No model yet", detail: ex.Message, extensions: new Dictionary<string, object?> { ["field"] = "model" });
        }
    }

    private static async Task<Results<Ok<ItemBatchResponse>, ValidationProblem, ProblemHttpResult>> PutItems(HttpRequest request, IClusterClient client, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, tooLarge, invalid) = await Problems.ReadJsonAsync<ItemBatchRequest>(request, MaxBodyBytes, cancellationToken);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        if (invalid is not null)
        {
            return invalid;
        }

        var items = body!.Items;
        if (items is null || items.Count == 0 || items.Count > MaxBatch)
        {
            return Problems.Field("items", $"must contain between 1 and {MaxBatch} items");
        }

        var errors = new List<(string, string)>();
        var records = new List<ItemRecord>(items.Count);
        var now = time.GetUtcNow();
        for (var i = 0; i < items.Count; i++)
        {
            if (Validate(items[i], i, now, errors) is { } record)
            {
                records.Add(record);
            }
        }

        if (errors.Count > 0)
        {
            // A catalog batch is all or nothing: half a catalog sync is harder to reason about than a retry.
            return Problems.Fields(errors);
        }

        var version = await client.GetGrain<ICatalogGrain>(ICatalogGrain.Key).Upsert(records);
        return TypedResults.Ok(new ItemBatchResponse(records.Count, version));
    }

    private static async Task<Results<Ok<ItemRecord>, ValidationProblem, ProblemHttpResult>> GetItem(string itemId, IClusterClient client)
    {
        if (EventValidator.CheckId(itemId) is { } problem)
        {
            return Problems.Field("itemId", problem);
        }

        var item = await client.GetGrain<ICatalogGrain>(ICatalogGrain.Key).Get(itemId);
        return item is null
            ? TypedResults.Problem(statusCode: 404, title: "Item not found", detail: $"No item '{itemId}' in the catalog.", extensions: new Dictionary<string, object?> { ["field"] = "itemId" })
            : TypedResults.Ok(item);
    }

    private static ItemRecord? Validate(ItemDto? dto, int index, DateTimeOffset now, List<(string, string)> errors)
    {
        var prefix = $"items[{index}]";
        if (dto is null)
        {
            errors.Add((prefix, "item must be an object, not null"));
            return null;
        }

        var before = errors.Count;
        if (EventValidator.CheckId(dto.Id) is { } idProblem)
        {
            errors.Add(($"{prefix}.id", idProblem));
        }

        if (dto.Title is { Length: > MaxTitle })
        {
            errors.Add(($"{prefix}.title", $"must be at most {MaxTitle} characters"));
        }

        if (dto.Price is { } price && (!double.IsFinite(price) || price < 0 || price > InteractionBounds.MaxPrice))
        {
            errors.Add(($"{prefix}.price", $"must be a finite number between 0 and {InteractionBounds.MaxPrice:0} (1e9)"));
        }

        var categories = Labels(dto.Categories, $"{prefix}.categories", errors);
        var tags = Labels(dto.Tags, $"{prefix}.tags", errors);
        return errors.Count > before ? null : new ItemRecord(dto.Id!, dto.Title, categories, tags, dto.Price, dto.Available ?? true, now);
    }

    private static string[] Labels(List<string?>? values, string field, List<(string, string)> errors)
    {
        if (values is null)
        {
            return [];
        }

        if (values.Count > MaxLabels)
        {
            errors.Add((field, $"at most {MaxLabels} entries"));
            return [];
        }

        var result = new List<string>(values.Count);
        for (var i = 0; i < values.Count; i++)
        {
            if (EventValidator.CheckKey(values[i]) is { } problem)
            {
                errors.Add(($"{field}[{i}]", problem));
            }
            else
            {
                result.Add(values[i]!);
            }
        }

        return [.. result];
    }
}
