using System.Text.Json;
using System.Text.Json.Serialization;
using Cohortly.Modeling.Events;

namespace Cohortly.Modeling.Rules;

/// <summary>
/// Every merchandising rule in effect, as one document an operator replaces whole (<c>PUT /v1/rules</c>).
/// <see cref="Version"/> moves with every change (the per-silo caches follow it); <see cref="UpdatedAt"/> is when.
/// </summary>
public sealed record RuleSet
{
    /// <summary>The most rules a set may hold: each rule id can become an outcome key, so this bounds them.</summary>
    public const int MaxRules = 50;

    public static RuleSet Empty { get; } = new();

    public IReadOnlyList<MerchandisingRule> Rules { get; init; } = [];

    public long Version { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }
}

/// <summary>
/// Checks a rule set before it is stored: each rule's fields, unique ids, the size bound, and that no scope's
/// filters (blocks and minimum prices) would hide every available catalog item or a pinned item.
/// </summary>
public static class RuleSetValidator
{
    /// <summary>
    /// The errors of <paramref name="rules"/>, each naming its field (<c>rules[i].…</c>); empty when it may be stored.
    /// <paramref name="catalog"/> is the live catalog: with it, a set whose filters leave a scope without a single
    /// available item is rejected at the rule that empties it, and a pin must name a catalog item the set does not block.
    /// Windows are ignored for this check (rules that may be in effect at the same time count together), so a set
    /// accepted now cannot empty a list later when another rule's window opens.
    /// </summary>
    public static List<RuleError> Validate(RuleSet rules, IReadOnlyList<ItemInfo>? catalog)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var errors = new List<RuleError>();
        if (rules.Rules is null)
        {
            errors.Add(new RuleError("rules", "is required (an empty list removes every rule)"));
            return errors;
        }

        if (rules.Rules.Count > RuleSet.MaxRules)
        {
            errors.Add(new RuleError("rules", $"must hold at most {RuleSet.MaxRules} rules"));
            return errors;
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var r = 0; r < rules.Rules.Count; r++)
        {
            var field = $"rules[{r}]";
            if (rules.Rules[r] is not { } rule)
            {
                errors.Add(new RuleError(field, "must be a rule object, not null"));
                continue;
            }

            rule.Validate(field, errors);
            if (!string.IsNullOrEmpty(rule.Id) && !ids.Add(rule.Id))
            {
                errors.Add(new RuleError($"{field}.id", $"\"{rule.Id}\" is used by an earlier rule"));
            }
        }

        if (errors.Count == 0 && catalog is { Count: > 0 })
        {
            CheckAgainstCatalog(rules.Rules, catalog, errors);
        }

        return errors;
    }

    /// <summary>For every scope (global, and each cohort a rule names), the filters in list order until none is left.</summary>
    private static void CheckAgainstCatalog(IReadOnlyList<MerchandisingRule> rules, IReadOnlyList<ItemInfo> catalog, List<RuleError> errors)
    {
        var scopes = new List<int?> { null };
        foreach (var rule in rules)
        {
            if (rule.CohortId is { } c && !scopes.Contains(c))
            {
                scopes.Add(c);
            }
        }

        var byId = new Dictionary<string, ItemInfo>(catalog.Count, StringComparer.Ordinal);
        foreach (var item in catalog)
        {
            byId[item.Id] = item;
        }

        var reported = new HashSet<int>();
        foreach (var scope in scopes)
        {
            var hidden = new bool[catalog.Count];
            var left = 0;
            for (var i = 0; i < catalog.Count; i++)
            {
                hidden[i] = !catalog[i].Available;
                left += hidden[i] ? 0 : 1;
            }

            if (left == 0)
            {
                // Nothing available at all: the catalog, not the rules, is empty.
                return;
            }

            for (var r = 0; r < rules.Count && left > 0; r++)
            {
                var rule = rules[r];
                if (!rule.AppliesTo(scope) || rule is not (BlockRule or MinimumPriceRule))
                {
                    continue;
                }

                for (var i = 0; i < catalog.Count; i++)
                {
                    if (!hidden[i] && RuleBook.Filters(rule, catalog[i].Id, RuleItem.Of(catalog[i])))
                    {
                        hidden[i] = true;
                        left--;
                    }
                }

                if (left == 0 && reported.Add(r))
                {
                    var what = rule is BlockRule ? "categories" : "price";
                    var where = scope is { } cohort ? $"cohort {cohort}" : "every user";
                    errors.Add(new RuleError($"rules[{r}].{(rule is BlockRule { Categories.Count: 0 } ? "itemIds" : what)}", $"would hide every available catalog item for {where}: lists would be empty"));
                }
            }
        }

        for (var r = 0; r < rules.Count; r++)
        {
            if (rules[r] is not PinRule pin)
            {
                continue;
            }

            if (!byId.TryGetValue(pin.ItemId, out var pinned))
            {
                errors.Add(new RuleError($"rules[{r}].itemId", $"\"{pin.ItemId}\" is not in the catalog"));
                continue;
            }

            for (var b = 0; b < rules.Count; b++)
            {
                if (rules[b] is BlockRule or MinimumPriceRule && (rules[b].CohortId is null || rules[b].CohortId == pin.CohortId)
                    && RuleBook.Filters(rules[b], pinned.Id, RuleItem.Of(pinned)))
                {
                    errors.Add(new RuleError($"rules[{r}].itemId", $"\"{pin.ItemId}\" is hidden by rule \"{rules[b].Id}\": the pin could never apply"));
                    break;
                }
            }
        }
    }
}

/// <summary>
/// The JSON form of a rule set (<c>{"rules":[{"id":"…","kind":"boost",…}]}</c>): property names in camel case and,
/// when reading, in any case and order (the <c>kind</c> need not come first). A malformed document is an error naming
/// its JSON path. Used by the API and for the wire and grain storage, so all three agree.
/// </summary>
public static class RuleSetJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        AllowOutOfOrderMetadataProperties = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        RespectNullableAnnotations = true,
    };

    public static string Write(RuleSet rules) => JsonSerializer.Serialize(rules, Options);

    public static RuleSet ReadStored(string json) => JsonSerializer.Deserialize<RuleSet>(json, Options) ?? RuleSet.Empty;

    /// <summary>The rules of a request body, or null with the error naming the field.</summary>
    public static RuleSet? Read(JsonElement json, out RuleError? error)
    {
        error = null;
        if (json.ValueKind != JsonValueKind.Object)
        {
            error = new RuleError("body", "must be a JSON object with a \"rules\" list");
            return null;
        }

        try
        {
            var document = json.Deserialize<RuleSetDocument>(Options);
            if (document?.Rules is null)
            {
                error = new RuleError("rules", "is required (an empty list removes every rule)");
                return null;
            }

            return new RuleSet { Rules = document.Rules };
        }
        catch (JsonException e)
        {
            var path = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
            var reason = e.Message.Contains("discriminator", StringComparison.OrdinalIgnoreCase)
                ? "kind must be one of pin, boost, bury, block, cap, minPrice"
                : e.Message.Contains("missing required", StringComparison.OrdinalIgnoreCase)
                    ? "misses a required property of its kind (" + e.Message[(e.Message.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim().TrimEnd('.') + ")"
                    : e.Message.Contains("could not be mapped", StringComparison.Ordinal)
                        ? "is not a property of this rule kind"
                        : "has the wrong JSON type or a missing kind";
            error = new RuleError(path, reason);
            return null;
        }
    }

    private sealed record RuleSetDocument
    {
        public IReadOnlyList<MerchandisingRule>? Rules { get; init; }
    }
}
