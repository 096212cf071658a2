using System.Text.Json.Serialization;

namespace Cohortly.Modeling.Rules;

/// <summary>
/// One merchandising rule an operator sets: a closed set of kinds (pin, boost, bury, block, cap, minimum price), each
/// validating itself. A rule applies to one cohort (<see cref="CohortId"/>) or to everybody (null), within an optional
/// validity window [<see cref="ValidFrom"/>, <see cref="ValidUntil"/>), and ranks against the others by
/// <see cref="Priority"/> (higher first; the conflict order is in <see cref="RuleBook"/>).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(PinRule), "pin")]
[JsonDerivedType(typeof(BoostRule), "boost")]
[JsonDerivedType(typeof(BuryRule), "bury")]
[JsonDerivedType(typeof(BlockRule), "block")]
[JsonDerivedType(typeof(CategoryCapRule), "cap")]
[JsonDerivedType(typeof(MinimumPriceRule), "minPrice")]
public abstract record MerchandisingRule
{
    /// <summary>Longest rule id: it is a key of the outcomes and is carried on every served item it touched.</summary>
    public const int MaxIdLength = 64;

    /// <summary>The most priority points a rule can have (and the fewest, negated).</summary>
    public const int MaxPriority = 1000;

    /// <summary>Longest list of items, categories or tags one rule may name.</summary>
    public const int MaxListLength = 200;

    public required string Id { get; init; }

    /// <summary>Higher wins a conflict; −1000..1000.</summary>
    public int Priority { get; init; }

    /// <summary>The cohort the rule applies to; null: every user (global).</summary>
    public int? CohortId { get; init; }

    /// <summary>First instant the rule is in effect (null: always was).</summary>
    public DateTimeOffset? ValidFrom { get; init; }

    /// <summary>First instant the rule is no longer in effect (null: never ends).</summary>
    public DateTimeOffset? ValidUntil { get; init; }

    public bool IsActive(DateTimeOffset now) => (ValidFrom is not { } from || now >= from) && (ValidUntil is not { } until || now < until);

    public bool AppliesTo(int? cohortId) => CohortId is not { } scope || scope == cohortId;

    /// <summary>Adds an error per bad field, each named under <paramref name="field"/> (e.g. <c>rules[2].factor</c>).</summary>
    public void Validate(string field, List<RuleError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrEmpty(Id) || Id.Length > MaxIdLength || !IsIdText(Id))
        {
            errors.Add(new RuleError($"{field}.id", $"must be 1–{MaxIdLength} characters of letters, digits, '-', '_' or '.'"));
        }

        if (Priority is < -MaxPriority or > MaxPriority)
        {
            errors.Add(new RuleError($"{field}.priority", $"must be between {-MaxPriority} and {MaxPriority}"));
        }

        if (CohortId is < 0)
        {
            errors.Add(new RuleError($"{field}.cohortId", "must be a cohort id (≥ 0) or null for every user"));
        }

        if (ValidFrom is { } from && ValidUntil is { } until && until <= from)
        {
            errors.Add(new RuleError($"{field}.validUntil", "must be after validFrom"));
        }

        ValidateKind(field, errors);
    }

    protected abstract void ValidateKind(string field, List<RuleError> errors);

    protected static void ValidateList(IReadOnlyList<string>? values, string field, List<RuleError> errors) => RuleLists.Validate(values, field, errors);

    private static bool IsIdText(string id)
    {
        foreach (var ch in id)
        {
            if (!(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>A bad field of a rule set: its JSON path (<c>rules[1].factor</c>) and what is wrong.</summary>
public readonly record struct RuleError(string Field, string Message);

/// <summary>
/// Which items a boost or bury touches: any of the categories or tags (none listed: no condition), and a price in
/// [<see cref="MinPrice"/>, <see cref="MaxPrice"/>) when a band is set (an item without a price is then not in it).
/// Names compare without case.
/// </summary>
public sealed record ItemMatch
{
    public IReadOnlyList<string> Categories { get; init; } = [];

    public IReadOnlyList<string> Tags { get; init; } = [];

    public double? MinPrice { get; init; }

    public double? MaxPrice { get; init; }

    public bool HasPriceBand => MinPrice is not null || MaxPrice is not null;

    public bool Matches(in RuleItem item)
    {
        if ((Categories.Count > 0 || Tags.Count > 0) && !RuleItem.Overlaps(Categories, item.Categories) && !RuleItem.Overlaps(Tags, item.Tags))
        {
            return false;
        }

        if (!HasPriceBand)
        {
            return true;
        }

        return item.Price is { } price && (MinPrice is not { } min || price >= min) && (MaxPrice is not { } max || price < max);
    }

    internal void Validate(string field, List<RuleError> errors)
    {
        RuleLists.Validate(Categories, $"{field}.categories", errors);
        RuleLists.Validate(Tags, $"{field}.tags", errors);
        if (Categories.Count == 0 && Tags.Count == 0 && !HasPriceBand)
        {
            errors.Add(new RuleError(field, "must name categories, tags or a price band (minPrice / maxPrice)"));
        }

        if (MinPrice is { } min && !(double.IsFinite(min) && min >= 0))
        {
            errors.Add(new RuleError($"{field}.minPrice", "must be a finite price ≥ 0"));
        }

        if (MaxPrice is { } max && !(double.IsFinite(max) && max > 0))
        {
            errors.Add(new RuleError($"{field}.maxPrice", "must be a finite price > 0"));
        }
        else if (MinPrice is { } low && MaxPrice is { } high && high <= low)
        {
            errors.Add(new RuleError($"{field}.maxPrice", "must be above minPrice"));
        }
    }
}

/// <summary>The check of a rule's lists of names (items, categories, tags).</summary>
internal static class RuleLists
{
    public static void Validate(IReadOnlyList<string>? values, string field, List<RuleError> errors)
    {
        if (values is null)
        {
            return;
        }

        if (values.Count > MerchandisingRule.MaxListLength)
        {
            errors.Add(new RuleError(field, $"must have at most {MerchandisingRule.MaxListLength} entries"));
            return;
        }

        for (var k = 0; k < values.Count; k++)
        {
            if (string.IsNullOrWhiteSpace(values[k]) || values[k].Length > 128)
            {
                errors.Add(new RuleError($"{field}[{k}]", "must be 1–128 characters"));
            }
        }
    }
}

/// <summary>What a rule sees of an item: its categories (the first is the primary one), tags and price (null: unknown).</summary>
public readonly record struct RuleItem(IReadOnlyList<string> Categories, IReadOnlyList<string> Tags, double? Price)
{
    public string? PrimaryCategory => Categories.Count > 0 ? Categories[0] : null;

    public static RuleItem Of(Events.ItemInfo item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return new RuleItem(item.Categories ?? [], item.Tags ?? [], item.Price);
    }

    internal static bool Overlaps(IReadOnlyList<string> wanted, IReadOnlyList<string> values)
    {
        for (var a = 0; a < wanted.Count; a++)
        {
            for (var b = 0; b < values.Count; b++)
            {
                if (string.Equals(wanted[a], values[b], StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}

/// <summary>Puts an item at a 1-based slot of every list it may appear in (eligible for the user, not blocked).</summary>
public sealed record PinRule : MerchandisingRule
{
    /// <summary>The deepest slot a pin may name.</summary>
    public const int MaxSlot = 100;

    public required string ItemId { get; init; }

    public required int Slot { get; init; }

    protected override void ValidateKind(string field, List<RuleError> errors)
    {
        if (string.IsNullOrWhiteSpace(ItemId) || ItemId.Length > 128)
        {
            errors.Add(new RuleError($"{field}.itemId", "must be an item id of 1–128 characters"));
        }

        if (Slot is < 1 or > MaxSlot)
        {
            errors.Add(new RuleError($"{field}.slot", $"must be between 1 and {MaxSlot}"));
        }
    }
}

/// <summary>Multiplies the score of matching items by <see cref="Factor"/> in (1, <see cref="RuleBook.MaxFactor"/>].</summary>
public sealed record BoostRule : MerchandisingRule
{
    public required ItemMatch Match { get; init; }

    public required double Factor { get; init; }

    protected override void ValidateKind(string field, List<RuleError> errors)
    {
        if (Match is null)
        {
            errors.Add(new RuleError($"{field}.match", "is required"));
        }
        else
        {
            Match.Validate($"{field}.match", errors);
        }

        if (!(Factor > 1 && Factor <= RuleBook.MaxFactor))
        {
            errors.Add(new RuleError($"{field}.factor", $"must be above 1 and at most {RuleBook.MaxFactor}"));
        }
    }
}

/// <summary>Multiplies the score of matching items by <see cref="Factor"/> in [1 / <see cref="RuleBook.MaxFactor"/>, 1).</summary>
public sealed record BuryRule : MerchandisingRule
{
    public required ItemMatch Match { get; init; }

    public required double Factor { get; init; }

    protected override void ValidateKind(string field, List<RuleError> errors)
    {
        if (Match is null)
        {
            errors.Add(new RuleError($"{field}.match", "is required"));
        }
        else
        {
            Match.Validate($"{field}.match", errors);
        }

        if (!(Factor >= 1 / RuleBook.MaxFactor && Factor < 1))
        {
            errors.Add(new RuleError($"{field}.factor", $"must be at least {1 / RuleBook.MaxFactor} and below 1"));
        }
    }
}

/// <summary>Never serves the listed items nor items of the listed categories.</summary>
public sealed record BlockRule : MerchandisingRule
{
    public IReadOnlyList<string> ItemIds { get; init; } = [];

    public IReadOnlyList<string> Categories { get; init; } = [];

    public bool Blocks(string itemId, in RuleItem item)
    {
        for (var k = 0; k < ItemIds.Count; k++)
        {
            if (string.Equals(ItemIds[k], itemId, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return Categories.Count > 0 && RuleItem.Overlaps(Categories, item.Categories);
    }

    protected override void ValidateKind(string field, List<RuleError> errors)
    {
        ValidateList(ItemIds, $"{field}.itemIds", errors);
        ValidateList(Categories, $"{field}.categories", errors);
        if (ItemIds.Count == 0 && Categories.Count == 0)
        {
            errors.Add(new RuleError($"{field}.itemIds", "a block must name items or categories"));
        }
    }
}

/// <summary>At most <see cref="Max"/> items of one primary category in a list (<see cref="Category"/> null: every category).</summary>
public sealed record CategoryCapRule : MerchandisingRule
{
    public string? Category { get; init; }

    public required int Max { get; init; }

    public bool Covers(string? category) =>
        category is not null && (Category is null || string.Equals(Category, category, StringComparison.OrdinalIgnoreCase));

    protected override void ValidateKind(string field, List<RuleError> errors)
    {
        if (Category is { } c && (string.IsNullOrWhiteSpace(c) || c.Length > 128))
        {
            errors.Add(new RuleError($"{field}.category", "must be 1–128 characters, or null for every category"));
        }

        if (Max is < 1 or > PinRule.MaxSlot)
        {
            errors.Add(new RuleError($"{field}.max", $"must be between 1 and {PinRule.MaxSlot} (a cap of 0 would hide the category: use a block)"));
        }
    }
}

/// <summary>Serves only items priced at least <see cref="Price"/>; items without a price in the catalog are kept.</summary>
public sealed record MinimumPriceRule : MerchandisingRule
{
    public required double Price { get; init; }

    public bool Excludes(in RuleItem item) => item.Price is { } p && p < Price;

    protected override void ValidateKind(string field, List<RuleError> errors)
    {
        if (!(double.IsFinite(Price) && Price > 0))
        {
            errors.Add(new RuleError($"{field}.price", "must be a finite price > 0"));
        }
    }
}
