using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Serving;

/// <summary>What a backbone signal means to a user, for the reason shown next to an item.</summary>
internal enum SignalRole
{
    History,
    Popularity,
    CohortPopularity,
    Content,
}

/// <summary>
/// Everything the serving path derives once per bundle instead of once per request: blend weights per group, each
/// group's weighted standardized cohort popularity (an item-only signal, so the same for every user of the group),
/// unit item factors for diversity, standardized global popularity for cold start, item categories as small ints.
/// Built lazily on first use and kept alive exactly as long as the bundle (a weak table keyed by the bundle).
/// </summary>
internal sealed class ServingIndex
{
    private static readonly ConditionalWeakTable<ModelBundle, ServingIndex> Cache = new();

    private ServingIndex(ModelBundle bundle)
    {
        var scorer = bundle.Scorer;
        ItemCount = bundle.ItemIds.Count;
        if (scorer.ItemCount != ItemCount)
        {
            throw new ArgumentException($"the bundle's scorer has {scorer.ItemCount} items but the bundle lists {ItemCount}", nameof(bundle));
        }

        var signals = scorer.Signals;
        SignalCount = signals.Count;
        Names = [.. scorer.WeightNames];
        Roles = new SignalRole[SignalCount + 1];
        for (var s = 0; s < SignalCount; s++)
        {
            Roles[s] = signals[s].Model.Kind switch
            {
                PopularityRecommender.KindName => SignalRole.Popularity,
                ContentRecommender.KindName => SignalRole.Content,
                _ => SignalRole.History,
            };
        }

        Roles[SignalCount] = SignalRole.CohortPopularity;
        GlobalWeights = new float[SignalCount + 1];
        for (var s = 0; s < SignalCount; s++)
        {
            GlobalWeights[s] = signals[s].GlobalWeight;
        }

        GroupWeights = new float[scorer.GroupCount][];
        GroupAdapted = new bool[scorer.GroupCount];
        CohortPopularity = new float[scorer.GroupCount][];
        for (var g = 0; g < scorer.GroupCount; g++)
        {
            GroupWeights[g] = [.. scorer.Decisions[g].Weights];
            GroupAdapted[g] = scorer.Decisions[g].Adapted;
            CohortPopularity[g] = WeightedCohortPopularity(scorer, g);
        }

        StandardizedPopularity = new float[SignalCount][][];
        for (var s = 0; s < SignalCount; s++)
        {
            if (signals[s].Model is PopularityRecommender popularity && popularity.ItemCount == ItemCount)
            {
                // One row per group and a last one for the global counts: what Score + Standardize give any user.
                var rows = new float[popularity.GroupCount + 1][];
                for (var g = 0; g <= popularity.GroupCount; g++)
                {
                    rows[g] = new float[ItemCount];
                    popularity.ScoreGroup(g < popularity.GroupCount ? g : -1, rows[g]);
                    ScoreScaling.Standardize(rows[g]);
                }

                StandardizedPopularity[s] = rows;
            }
            else
            {
                StandardizedPopularity[s] = [];
            }
        }

        Factors = bundle.Factors.Factors;
        UnitFactors = bundle.Factors.ItemCount == ItemCount ? UnitRows(bundle.Factors.AllItemFactors, ItemCount, Factors) : new float[ItemCount * Factors];
        PopularityStandardized = new float[ItemCount];
        if (bundle.Popularity.ItemCount == ItemCount)
        {
            bundle.Popularity.ScoreGroup(-1, PopularityStandardized);
            ScoreScaling.Standardize(PopularityStandardized);
            PopularitySpread = ItemCount > 0 ? TensorPrimitives.Max<float>(PopularityStandardized) - TensorPrimitives.Min<float>(PopularityStandardized) : 0;
        }

        var categories = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        CategoryNames = [];
        ItemCategory = new int[ItemCount];
        var names = new List<string>();
        for (var i = 0; i < ItemCount; i++)
        {
            ItemCategory[i] = -1;
            if (i < bundle.Items.Count && bundle.Items[i].Categories.Count > 0)
            {
                var name = bundle.Items[i].Categories[0];
                if (!categories.TryGetValue(name, out var c))
                {
                    c = names.Count;
                    categories[name] = c;
                    names.Add(name);
                }

                ItemCategory[i] = c;
            }
        }

        CategoryNames = [.. names];
        CategoryIds = categories;
        CohortLabels = new Dictionary<int, string>();
        foreach (var report in bundle.Cohorts)
        {
            CohortLabels[report.CohortId] = report.Label;
        }
    }

    public int ItemCount { get; }

    /// <summary>Backbone signals; weight vectors have one more entry (cohort popularity).</summary>
    public int SignalCount { get; }

    public string[] Names { get; }

    public SignalRole[] Roles { get; }

    public float[] GlobalWeights { get; }

    public float[][] GroupWeights { get; }

    /// <summary>
    /// Per group: weight × standardized cohort popularity plus the cohort's adopted item offset, or an empty array
    /// when the group has neither.
    /// </summary>
    public float[][] CohortPopularity { get; }

    /// <summary>
    /// Per signal: for a popularity signal, its standardized scores per group (last row: global), which do not
    /// depend on the user beyond the group, so requests copy them instead of scoring and standardizing; empty otherwise.
    /// </summary>
    public float[][][] StandardizedPopularity { get; }

    public int Factors { get; }

    /// <summary>Items × factors, each row of unit length (zero rows stay zero).</summary>
    public float[] UnitFactors { get; }

    public float[] PopularityStandardized { get; }

    /// <summary>Max − min of <see cref="PopularityStandardized"/>.</summary>
    public float PopularitySpread { get; }

    /// <summary>First category of every item as an index into <see cref="CategoryNames"/>, −1 when none.</summary>
    public int[] ItemCategory { get; }

    public string[] CategoryNames { get; }

    public Dictionary<string, int> CategoryIds { get; }

    public Dictionary<int, string> CohortLabels { get; }

    public static ServingIndex Of(ModelBundle bundle) => Cache.GetValue(bundle, static b => new ServingIndex(b));

    /// <summary>Per group: training adopted the cohort's own weights (they beat the global ones out of fold).</summary>
    public bool[] GroupAdapted { get; }

    /// <summary>The group serves weights of its own, not the global blend.</summary>
    public bool IsAdapted(int group) => (uint)group < (uint)GroupAdapted.Length && GroupAdapted[group];

    public float[] WeightsOf(int group) => (uint)group < (uint)GroupWeights.Length ? GroupWeights[group] : GlobalWeights;

    public ReadOnlySpan<float> CohortPopularityOf(int group) => (uint)group < (uint)CohortPopularity.Length ? CohortPopularity[group] : [];

    /// <summary>The item's first category, or null when it has none.</summary>
    public string? CategoryOf(int item) => ItemCategory[item] is var c && c >= 0 ? CategoryNames[c] : null;

    /// <summary>
    /// "similar to your interests in {category}" for the item's first category (null when it has none), built once per
    /// category and index: the most frequent reason, formatted per served item before (per-user path allocations).
    /// </summary>
    public string? InterestReasonOf(int item)
    {
        if (ItemCategory[item] is not (var c and >= 0))
        {
            return null;
        }

        // Filled lazily; two requests building the same string at once store equal values (a benign race).
        var reasons = _interestReasons ??= new string?[CategoryNames.Length];
        return reasons[c] ??= $"similar to your interests in {CategoryNames[c]}";
    }

    private string?[]? _interestReasons;

    /// <summary>
    /// Cosine of two items' factor vectors. Called hundreds of times per request (diversity, reasons), on vectors of a
    /// few dozen floats: one 8-wide pass inline, where a general dot product spends more on set-up than on the sum.
    /// </summary>
    public float Cosine(int a, int b)
    {
        var f = Factors;
        return Cosine(UnitFactors.AsSpan(a * f, f), UnitFactors.AsSpan(b * f, f));
    }

    private static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var f = a.Length;
        if (f == 0 || !Vector256.IsHardwareAccelerated || f % Vector256<float>.Count != 0)
        {
            return TensorPrimitives.Dot(a, b);
        }

        ref var x = ref MemoryMarshal.GetReference(a);
        ref var y = ref MemoryMarshal.GetReference(b);
        var acc = Vector256<float>.Zero;
        for (var k = 0; k < f; k += Vector256<float>.Count)
        {
            acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)k), Vector256.LoadUnsafe(ref y, (nuint)k), acc);
        }

        return Vector256.Sum(acc);
    }

    /// <summary>Copies the unit factor rows of <paramref name="items"/> (−1: left as it is) into consecutive rows of <paramref name="rows"/>.</summary>
    /// <remarks>
    /// A request's few dozen candidates have rows scattered over a table of megabytes that is rarely in cache. A copy
    /// loop has no dependency between rows, so their cache misses overlap; the cosines that follow read a few
    /// kilobytes. Read one row at a time inside a cosine, each miss stalled its whole chain of multiply-adds.
    /// </remarks>
    public void GatherUnitRows(ReadOnlySpan<int> items, Span<float> rows)
    {
        var f = Factors;
        for (var r = 0; r < items.Length; r++)
        {
            if (items[r] >= 0)
            {
                UnitFactors.AsSpan(items[r] * f, f).CopyTo(rows.Slice(r * f, f));
            }
        }
    }

    /// <summary>
    /// The cosine of row <paramref name="a"/> of gathered <paramref name="rows"/> (<see cref="GatherUnitRows"/>) with
    /// each row of <paramref name="others"/>: per pair the same float as <see cref="Cosine"/> of the two items (the same
    /// chain of multiply-adds, then the same sum). Four pairs run side by side: one cosine is a chain of dependent
    /// multiply-adds whose latency, not the arithmetic, sets its cost, and diversity needs every pair of its pool.
    /// </summary>
    public void Cosines(ReadOnlySpan<float> rows, int a, ReadOnlySpan<int> others, Span<float> result)
    {
        var f = Factors;
        var o = 0;
        if (f != 0 && Vector256.IsHardwareAccelerated && f % Vector256<float>.Count == 0)
        {
            // The loads below are unchecked: every row they read must be inside the span.
            var rowCount = rows.Length / f;
            if ((uint)a >= (uint)rowCount || others.Length > result.Length)
            {
                throw new ArgumentException("row a or the result is outside the gathered rows");
            }

            foreach (var other in others)
            {
                if ((uint)other >= (uint)rowCount)
                {
                    throw new ArgumentException($"row {other} is outside the gathered rows", nameof(others));
                }
            }

            ref var first = ref MemoryMarshal.GetReference(rows);
            ref var x = ref Unsafe.Add(ref first, a * f);
            for (; o + 4 <= others.Length; o += 4)
            {
                ref var y0 = ref Unsafe.Add(ref first, others[o] * f);
                ref var y1 = ref Unsafe.Add(ref first, others[o + 1] * f);
                ref var y2 = ref Unsafe.Add(ref first, others[o + 2] * f);
                ref var y3 = ref Unsafe.Add(ref first, others[o + 3] * f);
                var (acc0, acc1, acc2, acc3) = (Vector256<float>.Zero, Vector256<float>.Zero, Vector256<float>.Zero, Vector256<float>.Zero);
                for (var k = 0; k < f; k += Vector256<float>.Count)
                {
                    var xk = Vector256.LoadUnsafe(ref x, (nuint)k);
                    acc0 = Vector256.FusedMultiplyAdd(xk, Vector256.LoadUnsafe(ref y0, (nuint)k), acc0);
                    acc1 = Vector256.FusedMultiplyAdd(xk, Vector256.LoadUnsafe(ref y1, (nuint)k), acc1);
                    acc2 = Vector256.FusedMultiplyAdd(xk, Vector256.LoadUnsafe(ref y2, (nuint)k), acc2);
                    acc3 = Vector256.FusedMultiplyAdd(xk, Vector256.LoadUnsafe(ref y3, (nuint)k), acc3);
                }

                result[o] = Vector256.Sum(acc0);
                result[o + 1] = Vector256.Sum(acc1);
                result[o + 2] = Vector256.Sum(acc2);
                result[o + 3] = Vector256.Sum(acc3);
            }
        }

        for (; o < others.Length; o++)
        {
            result[o] = Cosine(rows.Slice(a * f, f), rows.Slice(others[o] * f, f));
        }
    }

    /// <summary>
    /// The group's item-only part (weighted cohort popularity plus the offset the cohort adopted), computed by the
    /// scorer's own method so serving adds exactly what offline scoring adds.
    /// </summary>
    private static float[] WeightedCohortPopularity(Cohorts.CohortAwareRecommender scorer, int group)
    {
        var part = new float[scorer.ItemCount];
        return scorer.CohortItemPart(group, part) ? part : [];
    }

    private static float[] UnitRows(ReadOnlySpan<float> rows, int count, int dimension)
    {
        var unit = new float[count * dimension];
        for (var i = 0; i < count; i++)
        {
            var row = rows.Slice(i * dimension, dimension);
            var norm = TensorPrimitives.Norm(row);
            if (norm > 0)
            {
                TensorPrimitives.Divide(row, norm, unit.AsSpan(i * dimension, dimension));
            }
        }

        return unit;
    }
}
