using System.Globalization;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Serving;

/// <summary>
/// Explanations: a reason per served item ("because you viewed …", "popular in your cohort …", "new in …",
/// "exploring something new") and, with explain=true, each signal's contribution (they add up to the score).
/// Per-request state, built after exploration and read only for the few items returned.
/// </summary>
internal sealed class ExplainStage(
    ModelBundle bundle,
    ServingIndex index,
    ServingRequest request,
    int group,
    string strategy,
    float[] weights,
    float[]? parts,
    ReadOnlySpan<int> foldIn,
    ReadOnlySpan<int> recent,
    List<string>? interests)
{
    private readonly int _n = index.ItemCount;
    private readonly int[] _foldIn = foldIn.ToArray();
    private readonly int[] _recent = recent.ToArray();

    public ExplainStage(ModelBundle bundle, ServingIndex index, ServingRequest request, int group, in ServingScores scores, in ServingHistory history)
        : this(bundle, index, request, group, scores.Strategy, scores.Weights, scores.Parts, history.FoldIn, history.Recent, history.Interests)
    {
    }

    /// <summary>The served items: score after context, reason, and contributions when the request asks to explain.</summary>
    public ServedItem[] Items((ServingCandidate Candidate, bool Explored)[] picks)
    {
        var items = new ServedItem[picks.Length];
        for (var p = 0; p < picks.Length; p++)
        {
            var (c, explored) = picks[p];
            items[p] = new ServedItem(
                c.Id,
                c.Score,
                c.BuyAgain is { } due && c.Item >= 0 ? Repeats.BuyAgainReason.Text(Title(bundle, c.Item), due)
                    : explored && c.Item >= 0 ? "exploring something new" : Reason(c),
                explored,
                request.Explain ? Contributions(c) : null)
            {
                Rules = c.Rules,
                BuyAgain = c.BuyAgain is not null,
            };
        }

        return items;
    }

    /// <summary>An item's display name: its title, or its id when it has none.</summary>
    internal static string Title(ModelBundle bundle, int item) =>
        item < bundle.Items.Count && !string.IsNullOrEmpty(bundle.Items[item].Title) ? bundle.Items[item].Title : bundle.ItemIds[item];

    internal string Reason(ServingCandidate c)
    {
        if (c.Item < 0)
        {
            return c.Category is { } category ? $"new in {category}" : "new in the catalog";
        }

        if (strategy == RecommendationPipeline.ColdStartContent && index.ItemCategory[c.Item] is var ic && ic >= 0 && interests is not null
            && ServingHistory.ContainsIgnoreCase(interests, index.CategoryNames[ic]))
        {
            return index.InterestReasonOf(c.Item)!;
        }

        if (parts is null)
        {
            return request.CohortId is not null && InCohortTrending(c.Item)
                ? $"popular in your cohort \"{CohortLabel()}\""
                : "trending with all shoppers";
        }

        // The signal contributing most to this item decides the wording.
        var best = -1;
        var bestValue = 0f;
        for (var s = 0; s <= index.SignalCount; s++)
        {
            var value = Contribution(s, c.Item);
            if (value > bestValue)
            {
                best = s;
                bestValue = value;
            }
        }

        var role = best < 0 ? SignalRole.Popularity : index.Roles[best];
        if (role == SignalRole.History && BecauseOf(c.Item) is { } because)
        {
            return because;
        }

        return role switch
        {
            SignalRole.CohortPopularity => $"popular in your cohort \"{CohortLabel()}\"",
            SignalRole.Content or SignalRole.History when index.InterestReasonOf(c.Item) is { } interest => interest,
            _ => "trending with all shoppers",
        };
    }

    internal IReadOnlyList<FeatureContribution> Contributions(ServingCandidate c)
    {
        var list = new List<FeatureContribution>(index.SignalCount + 2);
        if (c.Item < 0)
        {
            list.Add(new FeatureContribution("new_item", c.Relevance));
        }
        else if (parts is null)
        {
            var popularity = index.PopularityStandardized[c.Item];
            list.Add(new FeatureContribution("popularity", popularity));
            if (c.Relevance - popularity is var rest && Math.Abs(rest) > 1e-6)
            {
                list.Add(new FeatureContribution(strategy == RecommendationPipeline.ColdStartContent ? "content" : "trending", rest));
            }
        }
        else
        {
            for (var s = 0; s <= index.SignalCount; s++)
            {
                if (weights[s] != 0)
                {
                    list.Add(new FeatureContribution(index.Names[s], Contribution(s, c.Item)));
                }
            }
        }

        list.Add(new FeatureContribution("context", c.Score - c.Relevance - c.RuleDelta));
        if (c.RuleDelta != 0)
        {
            list.Add(new FeatureContribution("rules", c.RuleDelta));
        }

        return list;
    }

    private bool InCohortTrending(int item)
    {
        var id = bundle.ItemIds[item];
        foreach (var t in request.CohortTrending)
        {
            if (string.Equals(t.ItemId, id, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private float Contribution(int signal, int item)
    {
        if (signal == index.SignalCount)
        {
            var cohort = index.CohortPopularityOf(group);
            return cohort.IsEmpty ? 0 : cohort[item];
        }

        return weights[signal] == 0 || parts is null ? 0 : weights[signal] * parts[(signal * _n) + item];
    }

    /// <summary>"because you viewed X": the user's item that lends the most neighbour (or factor) similarity.</summary>
    private string? BecauseOf(int item)
    {
        var source = -1;
        var bestSim = 0f;
        var neighbors = bundle.Neighbors.ItemCount == index.ItemCount ? bundle.Neighbors.NeighborItems(item) : [];
        var sims = bundle.Neighbors.ItemCount == index.ItemCount ? bundle.Neighbors.NeighborSimilarities(item) : [];

        // Recent items first (newest wins ties), then the rest of the fold-in set.
        for (var pass = 0; pass < 2 && source < 0; pass++)
        {
            var from = pass == 0 ? _recent : _foldIn;
            for (var r = from.Length - 1; r >= 0; r--)
            {
                var i = from[r];
                if (i < 0 || i == item)
                {
                    continue;
                }

                var at = neighbors.BinarySearch(i);
                var sim = at >= 0 ? sims[at] : 0.5f * index.Cosine(item, i);
                if (sim > bestSim)
                {
                    bestSim = sim;
                    source = i;
                }
            }
        }

        if (source < 0)
        {
            return null;
        }

        var verb = "interacted with";
        for (var r = _recent.Length - 1; r >= 0; r--)
        {
            if (_recent[r] == source)
            {
                verb = EventTypes.Of(request.RecentItems[r].Type).Verb;
                break;
            }
        }

        return $"because you {verb} {Title(bundle, source)}";
    }

    private string CohortLabel() =>
        request.CohortLabel
        ?? (request.CohortId is { } id && index.CohortLabels.TryGetValue(id, out var label) ? label : null)
        ?? (request.CohortId is { } other ? string.Create(CultureInfo.InvariantCulture, $"cohort {other}") : "your cohort");
}
