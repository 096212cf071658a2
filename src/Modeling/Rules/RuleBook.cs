using Cohortly.Modeling.Events;

namespace Cohortly.Modeling.Rules;

/// <summary>
/// A rule set ready for serving: its rules in conflict order, compiled once per version by the silo's cache, so a
/// request only picks the ones in effect for its cohort and time.
/// </summary>
/// <remarks>
/// Conflict order (what wins when rules disagree):
/// <list type="number">
/// <item>Rules are ordered by priority (higher first), then a cohort's own rules before global ones, then id (ordinal).</item>
/// <item>Filters (block, minimum price) always apply: any one in effect hides the item, whatever pins or boosts say.</item>
/// <item>Boost / bury: per item only the first matching rule in that order applies, so factors never multiply and an
/// item's score moves by at most ×<see cref="MaxFactor"/> or ÷<see cref="MaxFactor"/>.</item>
/// <item>Caps: per primary category the first covering cap applies (a cap naming the category and a cap on every
/// category are both covering); pinned items are placed as pinned and do not count against a cap.</item>
/// <item>Pins: a slot goes to the first pin naming it; an item pinned twice takes its first pin's slot; a pin that lost
/// its slot, names a slot beyond the list, or names an item the user cannot get (purchased, unavailable, filtered
/// out by the request or a rule) does nothing.</item>
/// </list>
/// </remarks>
public sealed class RuleBook
{
    /// <summary>The bound of a boost factor (and 1/x of a bury factor).</summary>
    public const double MaxFactor = 4;

    private readonly MerchandisingRule[] _ordered;

    private RuleBook(RuleSet set, MerchandisingRule[] ordered)
    {
        Set = set;
        _ordered = ordered;
    }

    public static RuleBook Empty { get; } = new(RuleSet.Empty, []);

    public RuleSet Set { get; }

    public long Version => Set.Version;

    public bool IsEmpty => _ordered.Length == 0;

    /// <summary>Every rule, in conflict order.</summary>
    public IReadOnlyList<MerchandisingRule> Ordered => _ordered;

    public static RuleBook Compile(RuleSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var ordered = new MerchandisingRule[set.Rules.Count];
        for (var r = 0; r < ordered.Length; r++)
        {
            ordered[r] = set.Rules[r];
        }

        Array.Sort(ordered, static (a, b) =>
        {
            var byPriority = b.Priority.CompareTo(a.Priority);
            if (byPriority != 0)
            {
                return byPriority;
            }

            var byScope = (a.CohortId is null).CompareTo(b.CohortId is null);
            return byScope != 0 ? byScope : string.CompareOrdinal(a.Id, b.Id);
        });
        return new RuleBook(set, ordered);
    }

    /// <summary>The rules in effect for a user of <paramref name="cohortId"/> at <paramref name="now"/>, in conflict order; null when none.</summary>
    public MerchandisingRule[]? InEffect(int? cohortId, DateTimeOffset now)
    {
        var count = 0;
        foreach (var rule in _ordered)
        {
            if (rule.AppliesTo(cohortId) && rule.IsActive(now))
            {
                count++;
            }
        }

        if (count == 0)
        {
            return null;
        }

        var rules = new MerchandisingRule[count];
        var k = 0;
        foreach (var rule in _ordered)
        {
            if (rule.AppliesTo(cohortId) && rule.IsActive(now))
            {
                rules[k++] = rule;
            }
        }

        return rules;
    }

    /// <summary>True when <paramref name="rule"/> is a filter (block, minimum price) that hides the item.</summary>
    public static bool Filters(MerchandisingRule rule, string itemId, in RuleItem item) => rule switch
    {
        BlockRule block => block.Blocks(itemId, item),
        MinimumPriceRule minimum => minimum.Excludes(item),
        _ => false,
    };
}
