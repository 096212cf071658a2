namespace Cohortly.Modeling.Outcomes;

/// <summary>
/// How a served slot was chosen. A response has one strategy (the model component that ranked it); slots filled by
/// the exploration policy are counted under <see cref="Explored"/> as item-level impressions and outcomes only, so
/// summing <see cref="OutcomeCounts.Exposures"/> over strategies never counts a response twice.
/// </summary>
public enum ServedStrategy
{
    /// <summary>The cohort's adapted model.</summary>
    CohortModel = 0,

    /// <summary>The global model (the cohort has no adapted weights, did not beat global, or is a baseline arm).</summary>
    GlobalModel = 1,

    /// <summary>Before the first model, or when the model cannot serve: decayed cohort / global popularity.</summary>
    Popularity = 2,

    /// <summary>A user without history, served from a provisional cohort or popularity.</summary>
    ColdStart = 3,

    /// <summary>A slot the exploration policy filled (item-level counts only; no exposures).</summary>
    Explored = 4,

    /// <summary>A buy-again slot: a due repeat purchase (item-level counts only; no exposures).</summary>
    BuyAgain = 5,
}

/// <summary>
/// Where an outcome is counted: the cohort at exposure (-1 when none), the model version that served (0 before
/// the first model), the experiment and variant that served (empty when none), the strategy, and for a slot a
/// merchandising rule placed or re-scored, that rule's id (null otherwise; a response's exposure never has one).
/// </summary>
/// <remarks>
/// The rule keeps the keys bounded: a slot counts under at most one rule (its pin, else its boost or bury), a rule set
/// holds at most <see cref="Rules.RuleSet.MaxRules"/> rules, and only rules served within a bucket's retention are
/// kept, so a cohort's store holds at most (keys without rules) × (1 + distinct rule ids served in the retention).
/// </remarks>
public readonly record struct OutcomeKey(
    int CohortId,
    long ModelVersion,
    string Experiment,
    string Variant,
    ServedStrategy Strategy,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Rule = null);

/// <summary>
/// Additive counters of one <see cref="OutcomeKey"/> over a time bucket. An exposure is one recommendation response;
/// an impression is one served item. <see cref="ClickedExposures"/> and <see cref="ConvertedExposures"/> count
/// responses with at least one attributed click / purchase: they are the binomial units experiments compare.
/// <see cref="RevenueSquares"/> is the sum of each attributed purchase value squared, so revenue per impression has a
/// variance (impressions without a purchase contribute zero to both sums). <see cref="Decisions"/> are the off-policy
/// evaluation sums of the logged ε-greedy slot decisions counted under the key (empty for every other policy).
/// </summary>
public record struct OutcomeCounts(
    long Exposures,
    long Impressions,
    long Clicks,
    long AddToCarts,
    long Purchases,
    double Revenue,
    long ClickedExposures,
    long ConvertedExposures,
    double RevenueSquares,
    Experiments.SlotDecisionSums Decisions = default)
{
    public readonly OutcomeCounts Plus(in OutcomeCounts other) => new(
        Exposures + other.Exposures,
        Impressions + other.Impressions,
        Clicks + other.Clicks,
        AddToCarts + other.AddToCarts,
        Purchases + other.Purchases,
        Revenue + other.Revenue,
        ClickedExposures + other.ClickedExposures,
        ConvertedExposures + other.ConvertedExposures,
        RevenueSquares + other.RevenueSquares,
        Decisions.Plus(other.Decisions));

    public readonly bool IsEmpty => this == default;
}

/// <summary>
/// Takes outcome deltas where they happen (the user grain) and pre-aggregates them per silo; never a grain call per
/// event. Implementations are thread-safe and do not block.
/// </summary>
public interface IOutcomeRecorder
{
    void Record(in OutcomeKey key, in OutcomeCounts delta, DateTimeOffset at);
}
