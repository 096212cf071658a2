namespace Cohortly.Modeling.Serving;

/// <summary>
/// One item on its way through the serving stages after the filter stage picked it; <see cref="Item"/> is −1 for an
/// item the bundle does not know (a new item injected from live trending lists).
/// </summary>
internal sealed class ServingCandidate(int item, string id, double relevance, int order)
{
    public int Item { get; } = item;

    public string Id { get; } = id;

    /// <summary>The ranker's score (before context).</summary>
    public double Relevance { get; } = relevance;

    public double Score { get; set; } = relevance;

    /// <summary>Position by relevance (ties in the re-ranks keep it).</summary>
    public int Order { get; } = order;

    public string? Category { get; init; }

    /// <summary>For a buy-again slot, why the item is due (<c>BuyAgainStage</c>); null for every other candidate.</summary>
    public Repeats.DueItem? BuyAgain { get; init; }

    /// <summary>What merchandising rules added to <see cref="Score"/> (boost / bury), so the explanation can tell it from context.</summary>
    public double RuleDelta { get; set; }

    /// <summary>Ids of the rules that changed this item's score or slot, in conflict order; null when none.</summary>
    public List<string>? Rules { get; private set; }

    public void AddRule(string id) => (Rules ??= new List<string>(2)).Add(id);
}
