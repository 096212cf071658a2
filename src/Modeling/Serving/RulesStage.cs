using Cohortly.Modeling.Rules;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Serving;

/// <summary>
/// Merchandising rules (after scoring and the context re-rank, before diversity and exploration): the operator's rules
/// in effect for the request's cohort and time (<see cref="RuleBook"/>, which documents the conflict order). Filters
/// (block, minimum price) act while the pool is selected, so a hidden item leaves room for the next one instead of a
/// hole; boosts and buries multiply the pool's scores (a negative score is divided, so a boost still lifts it), caps
/// then drop the excess of a category in score order, and pins leave the pool to be put at their slots after
/// exploration. Every rule that changed a served item's score or slot (boost, bury, pin) is named on it (the
/// explanation's <c>rules</c>); filters and caps only take items out. Only built when a
/// rule is in effect: a request without rules pays one null check per stage call.
/// </summary>
internal sealed class RulesStage
{
    private readonly ModelBundle _bundle;
    private readonly ServingRequest _request;
    private readonly MerchandisingRule[] _rules;

    private RulesStage(ModelBundle bundle, ServingRequest request, MerchandisingRule[] rules)
    {
        _bundle = bundle;
        _request = request;
        _rules = rules;
    }

    /// <summary>The stage for this request, or null when no rule is in effect for its cohort now.</summary>
    public static RulesStage? Begin(ModelBundle bundle, ServingRequest request) =>
        request.Rules is { IsEmpty: false } book && book.InEffect(request.CohortId, request.Now) is { } rules
            ? new RulesStage(bundle, request, rules)
            : null;

    /// <summary>False when a filter rule in effect hides the item.</summary>
    public bool Admits(int item, string id)
    {
        RuleItem? attributes = null;
        foreach (var rule in _rules)
        {
            if (rule is BlockRule or MinimumPriceRule)
            {
                attributes ??= ItemOf(item, id);
                if (RuleBook.Filters(rule, id, attributes.Value))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Boosts, buries and caps on the pool (re-sorted by score), and the pins taken out of it with their 0-based
    /// slots, ordered by slot; <paramref name="count"/> is the list's length.
    /// </summary>
    public List<(ServingCandidate Candidate, int Slot)>? Apply(List<ServingCandidate> pool, ReadOnlySpan<float> total, ReadOnlySpan<int> excludedSorted, int count)
    {
        // Items added after the pool was selected (new items from live trending) meet the filters here.
        pool.RemoveAll(c => !Admits(c.Item, c.Id));
        var pins = Pins(pool, total, excludedSorted, count);
        var changed = false;
        foreach (var c in pool)
        {
            var attributes = ItemOf(c.Item, c.Id);
            foreach (var rule in _rules)
            {
                var factor = rule switch
                {
                    BoostRule boost when boost.Match.Matches(attributes) => boost.Factor,
                    BuryRule bury when bury.Match.Matches(attributes) => bury.Factor,
                    _ => 0,
                };
                if (factor > 0)
                {
                    var before = c.Score;
                    c.Score = before >= 0 ? before * factor : before / factor;
                    c.RuleDelta += c.Score - before;
                    c.AddRule(rule.Id);
                    changed = true;
                    break;
                }
            }
        }

        if (changed)
        {
            pool.Sort(static (a, b) =>
            {
                var byScore = b.Score.CompareTo(a.Score);
                return byScore != 0 ? byScore : a.Order.CompareTo(b.Order);
            });
        }

        Cap(pool);
        return pins;
    }

    /// <summary>
    /// The explored-and-ranked picks with the pins put at their slots (a pin beyond a short list goes last), and the
    /// logged slot decisions moved with their picks (a pinned slot was no policy's decision).
    /// </summary>
    public static (ServingCandidate Candidate, bool Explored)[] Place(
        (ServingCandidate Candidate, bool Explored)[] picks, List<(ServingCandidate Candidate, int Slot)> pins, ref Exploration.SlotDecision[]? decisions)
    {
        var placed = new (ServingCandidate Candidate, bool Explored)[picks.Length + pins.Count];
        var moved = decisions is null ? null : new Exploration.SlotDecision[placed.Length];
        int next = 0, pin = 0;
        for (var slot = 0; slot < placed.Length; slot++)
        {
            if (pin < pins.Count && (pins[pin].Slot <= slot || next >= picks.Length))
            {
                placed[slot] = (pins[pin++].Candidate, false);
            }
            else
            {
                if (moved is not null && next < decisions!.Length)
                {
                    moved[slot] = decisions[next];
                }

                placed[slot] = picks[next++];
            }
        }

        decisions = moved;
        return placed;
    }

    private List<(ServingCandidate Candidate, int Slot)>? Pins(List<ServingCandidate> pool, ReadOnlySpan<float> total, ReadOnlySpan<int> excludedSorted, int count)
    {
        List<(ServingCandidate Candidate, int Slot)>? pins = null;
        foreach (var rule in _rules)
        {
            if (rule is not PinRule pin || pin.Slot > count || Taken(pins, pin.Slot - 1, pin.ItemId))
            {
                continue;
            }

            var at = pool.FindIndex(c => string.Equals(c.Id, pin.ItemId, StringComparison.Ordinal));
            ServingCandidate? candidate;
            if (at >= 0)
            {
                candidate = pool[at];
                pool.RemoveAt(at);
            }
            else
            {
                candidate = Eligible(pin.ItemId, total, excludedSorted);
            }

            if (candidate is not null)
            {
                candidate.AddRule(pin.Id);
                (pins ??= []).Add((candidate, pin.Slot - 1));
            }
        }

        pins?.Sort(static (a, b) => a.Slot.CompareTo(b.Slot));
        return pins;
    }

    private static bool Taken(List<(ServingCandidate Candidate, int Slot)>? pins, int slot, string itemId)
    {
        if (pins is null)
        {
            return false;
        }

        foreach (var (candidate, s) in pins)
        {
            if (s == slot || string.Equals(candidate.Id, itemId, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A pinned item outside the pool, when the user may get it: not consumed, available, within the request's categories, not hidden.</summary>
    private ServingCandidate? Eligible(string id, ReadOnlySpan<float> total, ReadOnlySpan<int> excludedSorted)
    {
        var known = _bundle.ItemIndex(id) is { } i && i < total.Length ? i : -1;
        if (_request.Excluded.Contains(id) || (known >= 0 && excludedSorted.BinarySearch(known) >= 0))
        {
            return null;
        }

        var available = known >= 0 && _request.UnavailableItems is { } flags && known < flags.Count
            ? !flags[known]
            : _request.IsAvailable is null || _request.IsAvailable(id);
        var catalog = _request.ItemOf?.Invoke(id);
        if (!available || (known < 0 && catalog is null))
        {
            return null;
        }

        var categories = catalog?.Categories ?? (known >= 0 && known < _bundle.Items.Count ? _bundle.Items[known].Categories : null);
        if (!FilterStage.PassesCategories(_request, categories) || !Admits(known, id))
        {
            return null;
        }

        return new ServingCandidate(known, id, known >= 0 ? total[known] : 0, int.MaxValue)
        {
            Category = categories is { Count: > 0 } ? categories[0] : null,
        };
    }

    /// <summary>Walks the pool in order and drops an item once its primary category holds the first covering cap's maximum.</summary>
    private void Cap(List<ServingCandidate> pool)
    {
        var any = false;
        foreach (var rule in _rules)
        {
            any |= rule is CategoryCapRule;
        }

        if (!any)
        {
            return;
        }

        var counts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var kept = 0;
        for (var k = 0; k < pool.Count; k++)
        {
            var c = pool[k];
            var category = ItemOf(c.Item, c.Id).PrimaryCategory;
            var cap = category is null ? null : FirstCap(category);
            if (cap is not null)
            {
                var n = counts.GetValueOrDefault(category!);
                if (n >= cap.Max)
                {
                    continue;
                }

                counts[category!] = n + 1;
            }

            pool[kept++] = c;
        }

        pool.RemoveRange(kept, pool.Count - kept);
    }

    private CategoryCapRule? FirstCap(string category)
    {
        foreach (var rule in _rules)
        {
            if (rule is CategoryCapRule cap && cap.Covers(category))
            {
                return cap;
            }
        }

        return null;
    }

    /// <summary>The item as rules see it: the live catalog's categories, tags and price, else the bundle's metadata (no price).</summary>
    private RuleItem ItemOf(int item, string id)
    {
        if (_request.ItemOf?.Invoke(id) is { } live)
        {
            return new RuleItem(
                live.Categories ?? [],
                live.Tags ?? (item >= 0 && item < _bundle.Items.Count ? _bundle.Items[item].Tags : []),
                live.Price);
        }

        return item >= 0 && item < _bundle.Items.Count
            ? new RuleItem(_bundle.Items[item].Categories, _bundle.Items[item].Tags, null)
            : new RuleItem([], [], null);
    }
}
