using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Serving;

/// <summary>
/// One item on its way through the serving stages after the filter stage picked it; <see cref="Item"/> is −1 for an
/// item the bundle does not know (a new item injected from live trending lists). Candidates never leave
/// <see cref="RecommendationPipeline.Recommend"/> (the response is built from copies), so the filter stage takes them
/// from a per-thread <see cref="CandidateArena"/> and the ranker re-scores them in place.
/// </summary>
internal sealed class ServingCandidate
{
    public ServingCandidate(int item, string id, double relevance, int order) => Reset(item, id, relevance, order, null);

    public int Item { get; private set; }

    public string Id { get; private set; } = string.Empty;

    /// <summary>The ranker's score (before context).</summary>
    public double Relevance { get; private set; }

    public double Score { get; set; }

    /// <summary>Position by relevance (ties in the re-ranks keep it).</summary>
    public int Order { get; private set; }

    public string? Category { get; set; }

    /// <summary>For a buy-again slot, why the item is due (<c>BuyAgainStage</c>); null for every other candidate.</summary>
    public Repeats.DueItem? BuyAgain { get; init; }

    /// <summary>What merchandising rules added to <see cref="Score"/> (boost / bury), so the explanation can tell it from context.</summary>
    public double RuleDelta { get; set; }

    /// <summary>Ids of the rules that changed this item's score or slot, in conflict order; null when none.</summary>
    public List<string>? Rules { get; private set; }

    public void AddRule(string id) => (Rules ??= new List<string>(2)).Add(id);

    /// <summary>Makes this object the candidate a new one with these values would be (score = relevance, no rules).</summary>
    public ServingCandidate Reset(int item, string id, double relevance, int order, string? category)
    {
        Item = item;
        Id = id;
        Relevance = relevance;
        Score = relevance;
        Order = order;
        Category = category;
        RuleDelta = 0;
        Rules = null;
        return this;
    }
}

/// <summary>
/// Candidate objects, and the lists and heap that hold them, reused by the requests served on one thread: the filter
/// stage makes 30 or more candidates per request, which was the largest share of the serving path's allocations, and
/// the pool, its diversified order and the top-k heap were the next (about 1 KB per request together).
/// <see cref="Begin"/> at the start of a request hands every object back; a request is synchronous and neither
/// candidates nor these lists outlive it (the response is built from copies), so nothing still in use is reused.
/// </summary>
internal sealed class CandidateArena
{
    [ThreadStatic]
    private static CandidateArena? _current;

    private readonly List<ServingCandidate> _made = [];
    private int _used;
    private TopKHeap? _heap;

    /// <summary>The filter stage's pool (emptied by <see cref="Begin"/>).</summary>
    public List<ServingCandidate> Pool { get; } = [];

    /// <summary>The diversity stage's order of the pool (emptied by <see cref="Begin"/>).</summary>
    public List<ServingCandidate> Diversified { get; } = [];

    /// <summary>This thread's arena, emptied for a new request.</summary>
    public static CandidateArena Begin()
    {
        var arena = _current ??= new CandidateArena();
        arena._used = 0;
        arena.Pool.Clear();
        arena.Diversified.Clear();
        return arena;
    }

    public ServingCandidate Next(int item, string id, double relevance, int order)
    {
        if (_used < _made.Count)
        {
            return _made[_used++].Reset(item, id, relevance, order, null);
        }

        var made = new ServingCandidate(item, id, relevance, order);
        _made.Add(made);
        _used++;
        return made;
    }

    /// <summary>An empty heap keeping the best <paramref name="k"/>: the last one when it has that size (requests mostly ask for the same count).</summary>
    public TopKHeap Heap(int k)
    {
        if (_heap is { } heap && heap.Capacity == k)
        {
            heap.Clear();
            return heap;
        }

        return _heap = new TopKHeap(k);
    }
}
