using System.Buffers;
using System.Numerics.Tensors;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Cohorts;

/// <summary>One scoring signal of the global backbone, already fitted on the training data, with its global weight.</summary>
public sealed record CohortSignal(string Name, IRecommender Model, float GlobalWeight);

public sealed record CohortStrategyOptions
{
    /// <summary>Weights tried for every signal (and for the cohort popularity prior) in the per-cohort search.</summary>
    public IReadOnlyList<float> WeightGrid { get; init; } = [0, 0.25f, 0.5f, 1, 2];

    /// <summary>Pseudo-count pulling a small cohort's popularity toward the global popularity.</summary>
    public float PopularityPrior { get; init; } = 100f;

    /// <summary>
    /// Pseudo-count (in validation users) pulling a cohort's searched weights toward the global ones:
    /// w = (n·w_cohort + τ·w_global) / (n + τ). Small cohorts move less.
    /// </summary>
    public float WeightShrinkage { get; init; } = 25f;

    /// <summary>Cohorts with fewer validation users keep the global model.</summary>
    public int MinValidationUsers { get; init; } = 30;

    /// <summary>Out-of-fold NDCG gain a cohort's adaptation must exceed to be adopted.</summary>
    public double MinGain { get; init; }

    /// <summary>
    /// How many standard errors (of the per-user out-of-fold NDCG differences) a form's gain must clear (2: a one-sided
    /// 2.3% test per form): a cohort of a few hundred users shows gains of ±0.01 by chance, which must not count as
    /// evidence. Every form is a separate test, so with all three forms a cohort without any effect adopts one by
    /// chance somewhat more often than one test would (the false adoption rate is measured in the tests).
    /// </summary>
    public double MinGainStandardErrors { get; init; } = 2;

    /// <summary>Adaptation forms tried per cohort (each selected only on its own out-of-fold evidence).</summary>
    public IReadOnlyList<CohortAdaptationForm> Forms { get; init; } = [CohortAdaptationForm.Weights, CohortAdaptationForm.ItemBias, CohortAdaptationForm.DecayedPopularity];

    /// <summary>Weights tried for an offset form's vector (added to the standardized blend).</summary>
    public IReadOnlyList<float> OffsetGrid { get; init; } = [0.5f, 1, 2, 4, 8, 16, 32];

    /// <summary>Half-life of the decayed-popularity form; null = the median event age of the training data.</summary>
    public TimeSpan? DecayHalfLife { get; init; }

    public int K { get; init; } = 10;

    public int SearchPasses { get; init; } = 2;

    /// <summary>Scores every item for every validation user at every weighting (the search before candidates; tests compare the two).</summary>
    internal bool ExhaustiveSearch { get; init; }
}

/// <summary>
/// The outcome of selection for one cohort (group index). NDCG values are means over the cohort's validation users:
/// in-sample for the final weights, and <see cref="OutOfFoldGain"/> from two-fold cross-fitting (weights searched on one
/// half of the cohort's validation users, measured on the other half, both ways), which is what the decision uses.
/// </summary>
public sealed record CohortDecision(
    int Group,
    int ValidationUsers,
    bool Adapted,
    IReadOnlyList<float> Weights,
    double GlobalNdcg,
    double AdaptedNdcg,
    double OutOfFoldGain,
    double OutOfFoldStandardError)
{
    /// <summary>What serves the cohort: <see cref="CohortAdaptationForm.Global"/> unless a form was adopted.</summary>
    public CohortAdaptationForm Form { get; init; } = Adapted ? CohortAdaptationForm.Weights : CohortAdaptationForm.Global;

    /// <summary>The adopted offset form's weight (0 for the global and weights forms).</summary>
    public float OffsetWeight { get; init; }

    /// <summary>Every form tried, with its out-of-fold gain ± standard error (empty when the cohort was too small).</summary>
    public IReadOnlyList<CohortFormEvidence> Evidence { get; init; } = [];
}

/// <summary>
/// Cohort-aware strategy: a global backbone (a standardized blend of fitted models, exactly as
/// <see cref="BlendRecommender"/> scores it) plus, per cohort, its own blend weights and a weight for the cohort's
/// popularity (shrunk toward global popularity). A cohort's weights are searched on its validation users and
/// <b>adopted only if they beat the global weights on held-out validation users of that cohort</b> (two-fold
/// cross-fitting); otherwise the cohort is served by the global backbone. Users without a cohort get global.
/// Besides its own weights a cohort may adopt an additive per-item offset (<see cref="CohortOffsets"/>: an empirical
/// Bayes item bias, or decayed cohort popularity), each form tested on its own out-of-fold gain; the most gaining form
/// that clears <see cref="CohortStrategyOptions.MinGainStandardErrors"/> serves the cohort.
/// </summary>
/// <param name="validationItems">User→held-out items used for selection (the validation part); never the test part.</param>
public sealed partial class CohortAwareRecommender(IReadOnlyList<CohortSignal> signals, SparseMatrix validationItems, CohortStrategyOptions? options = null) : IRecommender
{
    public const string KindName = "cohort";
    /// <summary>2: per cohort the adopted form, its offset weight, every form's evidence and the offset vector. 1 (still read): weights only.</summary>
    private const int FormatVersion = 2;
    private const int WeightsOnlyFormat = 1;

    /// <summary>Offset forms, in the order of their columns after the cohort popularity's in the search.</summary>
    private static readonly CohortAdaptationForm[] OffsetForms = [CohortAdaptationForm.ItemBias, CohortAdaptationForm.DecayedPopularity];

    private readonly SparseMatrix? _validation = validationItems;
    private PopularityRecommender _cohortPopularity = new();
    private float[] _globalWeights = [];
    private float[][] _groupWeights = []; // per group: signals..., cohort popularity
    private int[] _userGroups = [];
    private CohortDecision[] _decisions = [];
    private float[][][] _formVectors = []; // per offset form, per group: the unweighted offset of every item (fit only)
    private float[][] _groupOffsets = []; // per group: weight × the adopted form's offset, or empty

    public IReadOnlyList<CohortSignal> Signals { get; } = Validate(signals);

    public CohortStrategyOptions Options { get; } = options ?? new CohortStrategyOptions();

    public string Kind => KindName;

    public int ItemCount => Signals[0].Model.ItemCount;

    public int UserCount => _userGroups.Length;

    public int GroupCount => _groupWeights.Length;

    /// <summary>Per cohort: whether it uses its adapted weights, with the validation evidence.</summary>
    public IReadOnlyList<CohortDecision> Decisions => _decisions;

    /// <summary>User evaluations of the last <see cref="Fit"/>'s weight search, and how many of them scored every item.</summary>
    internal (long Evaluations, long FullScans) SearchCounts { get; private set; }

    /// <summary>Signal names in weight order: the backbone signals, then "cohort_pop".</summary>
    public IReadOnlyList<string> WeightNames
    {
        get
        {
            var names = new string[Signals.Count + 1];
            for (var s = 0; s < Signals.Count; s++)
            {
                names[s] = Signals[s].Name;
            }

            names[^1] = "cohort_pop";
            return names;
        }
    }

    /// <summary>The same backbone with every cohort forced to global weights (the comparison baseline).</summary>
    public IRecommender GlobalOnly() => new GlobalView(this);

    public void Fit(TrainingData data, Random random, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(random);
        if (!data.HasUserGroups)
        {
            throw new ArgumentException("the cohort strategy needs user groups in the training data", nameof(data));
        }

        if (_validation is null || _validation.Rows != data.UserCount || _validation.Columns != data.ItemCount)
        {
            throw new ArgumentException("validation items must be a users × items matrix of the training catalog");
        }

        foreach (var s in Signals)
        {
            if (s.Model.ItemCount != data.ItemCount || s.Model.UserCount != data.UserCount)
            {
                throw new ArgumentException($"signal '{s.Name}' was not fitted on this training data");
            }
        }

        _cohortPopularity = new PopularityRecommender(new PopularityOptions { ByGroup = true, GroupPrior = Options.PopularityPrior });
        _cohortPopularity.Fit(data, random, cancellationToken);
        _userGroups = data.UserGroups.ToArray();
        _formVectors = FormVectors(data, Options, all: false);
        var signalCount = Signals.Count + 1;
        _globalWeights = new float[signalCount];
        for (var s = 0; s < Signals.Count; s++)
        {
            _globalWeights[s] = Signals[s].GlobalWeight;
        }

        var groupCount = data.GroupCount;
        var members = new List<int>[groupCount];
        for (var g = 0; g < groupCount; g++)
        {
            members[g] = [];
        }

        for (var u = 0; u < data.UserCount; u++)
        {
            if (_userGroups[u] >= 0 && _validation.RowLength(u) > 0)
            {
                members[_userGroups[u]].Add(u);
            }
        }

        var search = new WeightSearch(this, data, _validation, members, cancellationToken);
        _groupWeights = new float[groupCount][];
        _groupOffsets = new float[groupCount][];
        _decisions = new CohortDecision[groupCount];
        for (var g = 0; g < groupCount; g++)
        {
            var users = members[g].ToArray();
            random.Shuffle(users);
            _decisions[g] = Decide(g, users, search);
            _groupWeights[g] = [.. _decisions[g].Weights];
            _groupOffsets[g] = Offset(_formVectors, _decisions[g], g);
        }

        // The vectors of forms nobody adopted are not needed for serving.
        _formVectors = [];
        SearchCounts = (search.Evaluations, search.FullScans);
    }

    /// <summary>Each offset form's per-group vectors over <paramref name="data"/>; a form not tried (and not needed by <paramref name="all"/>) gets zeros.</summary>
    private static float[][][] FormVectors(TrainingData data, CohortStrategyOptions options, bool all, IReadOnlyList<CohortDecision>? adopted = null)
    {
        var vectors = new float[OffsetForms.Length][][];
        for (var f = 0; f < OffsetForms.Length; f++)
        {
            var form = OffsetForms[f];
            var wanted = all || Contains(options.Forms, form);
            if (adopted is not null)
            {
                wanted = false;
                foreach (var d in adopted)
                {
                    wanted |= d.Adapted && d.Form == form;
                }
            }

            vectors[f] = !wanted ? Zeros(data.GroupCount, data.ItemCount) : form switch
            {
                CohortAdaptationForm.ItemBias => CohortOffsets.ItemBias(data, out _),
                _ => CohortOffsets.DecayedPopularity(data, options.DecayHalfLife, out _),
            };
        }

        return vectors;
    }

    private static float[][] Zeros(int groups, int items)
    {
        var zeros = new float[groups][];
        for (var g = 0; g < groups; g++)
        {
            zeros[g] = new float[items];
        }

        return zeros;
    }

    private static bool Contains(IReadOnlyList<CohortAdaptationForm> forms, CohortAdaptationForm form)
    {
        foreach (var f in forms)
        {
            if (f == form)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The adopted offset of a group (weight × its form's vector), or empty when it adopted no offset form.</summary>
    private static float[] Offset(float[][][] vectors, CohortDecision decision, int group)
    {
        var f = Array.IndexOf(OffsetForms, decision.Form);
        if (!decision.Adapted || f < 0 || decision.OffsetWeight == 0 || f >= vectors.Length || (uint)group >= (uint)vectors[f].Length)
        {
            return [];
        }

        var source = vectors[f][group];
        var offset = new float[source.Length];
        TensorPrimitives.Multiply(source, decision.OffsetWeight, offset);
        return offset;
    }

    /// <summary>
    /// The model over <paramref name="data"/> with per-group weights decided before (e.g. on a holdout, after which the
    /// backbone was refitted on every interaction): fits only the cohort popularity and searches nothing.
    /// </summary>
    public static CohortAwareRecommender FromDecisions(
        IReadOnlyList<CohortSignal> signals,
        TrainingData data,
        IReadOnlyList<CohortDecision> decisions,
        CohortStrategyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(decisions);
        if (!data.HasUserGroups || decisions.Count != data.GroupCount)
        {
            throw new ArgumentException($"expected one decision per user group ({data.GroupCount}), got {decisions.Count}", nameof(decisions));
        }

        var model = new CohortAwareRecommender(signals, null!, options);
        foreach (var s in model.Signals)
        {
            if (s.Model.ItemCount != data.ItemCount || s.Model.UserCount != data.UserCount)
            {
                throw new ArgumentException($"signal '{s.Name}' was not fitted on this training data");
            }
        }

        model._cohortPopularity = new PopularityRecommender(new PopularityOptions { ByGroup = true, GroupPrior = model.Options.PopularityPrior });
        model._cohortPopularity.Fit(data, new Random(0), cancellationToken);
        model._userGroups = data.UserGroups.ToArray();
        model._globalWeights = new float[model.Signals.Count + 1];
        for (var s = 0; s < model.Signals.Count; s++)
        {
            model._globalWeights[s] = model.Signals[s].GlobalWeight;
        }

        model._groupWeights = new float[decisions.Count][];
        model._groupOffsets = new float[decisions.Count][];
        model._decisions = new CohortDecision[decisions.Count];
        // The adopted forms' offsets are recomputed on this data (the refit's), with their weights as decided.
        var vectors = FormVectors(data, model.Options, all: false, adopted: decisions);
        for (var g = 0; g < decisions.Count; g++)
        {
            var d = decisions[g];
            if (d.Weights.Count != model._globalWeights.Length)
            {
                throw new ArgumentException($"decision {g} has {d.Weights.Count} weights for {model._globalWeights.Length} signals", nameof(decisions));
            }

            model._groupWeights[g] = [.. d.Weights];
            model._decisions[g] = d with { Group = g };
            model._groupOffsets[g] = Offset(vectors, d, g);
        }

        return model;
    }

    public void Score(int user, Span<float> scores)
    {
        var g = (uint)user < (uint)_userGroups.Length ? _userGroups[user] : -1;
        Combine(WeightsOf(g), g, scores, (model, s) => model.Score(user, s));
    }

    /// <summary>Serving a user known by recent items (fold-in) in a given cohort (group index; -1 = global).</summary>
    public void ScoreItemsInCohort(int group, ReadOnlySpan<int> recentItems, Span<float> scores)
    {
        var items = recentItems.ToArray();
        Combine(WeightsOf(group), group, scores, (model, s) => model.ScoreItems(items, s));
    }

    /// <summary>
    /// The part of a group's score that depends on the item only: weight × standardized cohort popularity plus the
    /// adopted offset. Scoring adds exactly this to the signals' weighted sum, and serving precomputes it per group
    /// with this same method (online/offline parity). False (and <paramref name="destination"/> cleared) when the
    /// group has none.
    /// </summary>
    public bool CohortItemPart(int group, Span<float> destination) => ItemPart(WeightsOf(group), group, destination[..ItemCount]);

    /// <summary>The adopted offset of a group (weight × form vector), empty when none; indexed like the items.</summary>
    public ReadOnlySpan<float> OffsetOf(int group) => (uint)group < (uint)_groupOffsets.Length ? _groupOffsets[group] : [];

    public void ScoreItems(ReadOnlySpan<int> recentItems, Span<float> scores) => ScoreItemsInCohort(-1, recentItems, scores);

    private CohortDecision Decide(int group, int[] users, WeightSearch search)
    {
        var globalFull = search.GlobalWeights;
        var global = search.Mean(users, globalFull);
        if (users.Length < Options.MinValidationUsers)
        {
            return new CohortDecision(group, users.Length, false, _globalWeights, global, global, 0, 0);
        }

        var half = users.Length / 2;
        var a = users[..half];
        var b = users[half..];
        var evidence = new List<CohortFormEvidence>(Options.Forms.Count);
        CohortDecision? best = null;
        CohortDecision? strongest = null;
        foreach (var form in Options.Forms)
        {
            var (first, count, grid) = form == CohortAdaptationForm.Weights
                ? (0, _globalWeights.Length, Options.WeightGrid)
                : (_globalWeights.Length + Array.IndexOf(OffsetForms, form), 1, Options.OffsetGrid);
            if (first < 0 || (form != CohortAdaptationForm.Weights && search.IsZeroColumn(first, group)))
            {
                // No offset to adopt (the cohort shows no over-dispersion for this form): evidence of no gain.
                evidence.Add(new CohortFormEvidence(form, 0, 0, 0));
                continue;
            }

            // Two-fold cross-fitting: the decision rests on users the weights were not searched on.
            var fromA = Shrink(search.Search(a, globalFull, first, count, grid), a.Length, globalFull);
            var fromB = Shrink(search.Search(b, globalFull, first, count, grid), b.Length, globalFull);
            var differences = new double[users.Length];
            Difference(search.PerUser(a, fromB), search.PerUser(a, globalFull), differences.AsSpan(0, half));
            Difference(search.PerUser(b, fromA), search.PerUser(b, globalFull), differences.AsSpan(half));
            var (outOfFold, standardError) = MeanAndStandardError(differences);

            var full = Shrink(search.Search(users, globalFull, first, count, grid), users.Length, globalFull);
            var adaptedNdcg = search.Mean(users, full);
            var offsetWeight = form == CohortAdaptationForm.Weights ? 0 : full[first];
            evidence.Add(new CohortFormEvidence(form, outOfFold, standardError, form == CohortAdaptationForm.Weights ? 1 : offsetWeight));
            var pass = outOfFold > Options.MinGain
                && outOfFold > Options.MinGainStandardErrors * standardError
                && adaptedNdcg > global;
            var weights = full.AsSpan(0, _globalWeights.Length).ToArray();
            var candidate = new CohortDecision(group, users.Length, true, weights, global, adaptedNdcg, outOfFold, standardError) { Form = form, OffsetWeight = offsetWeight };
            if (pass && (best is null || outOfFold > best.OutOfFoldGain))
            {
                best = candidate;
            }

            if (strongest is null || outOfFold > strongest.OutOfFoldGain)
            {
                strongest = candidate;
            }
        }

        if (best is not null)
        {
            return best with { Evidence = evidence };
        }

        // Nothing adopted: the global weights, with the most gaining form's numbers as the evidence shown.
        return new CohortDecision(group, users.Length, false, _globalWeights, global, strongest?.AdaptedNdcg ?? global, strongest?.OutOfFoldGain ?? 0, strongest?.OutOfFoldStandardError ?? 0)
        {
            Evidence = evidence,
        };
    }

    private static void Difference(double[] adapted, double[] global, Span<double> destination)
    {
        for (var x = 0; x < destination.Length; x++)
        {
            destination[x] = adapted[x] - global[x];
        }
    }

    private static (double Mean, double StandardError) MeanAndStandardError(double[] values)
    {
        var mean = 0.0;
        foreach (var v in values)
        {
            mean += v;
        }

        mean /= values.Length;
        var sq = 0.0;
        foreach (var v in values)
        {
            sq += (v - mean) * (v - mean);
        }

        var variance = values.Length > 1 ? sq / (values.Length - 1) : 0;
        return (mean, Math.Sqrt(variance / values.Length));
    }

    private float[] Shrink(float[] searched, int users, float[] global)
    {
        var t = Options.WeightShrinkage;
        var result = new float[searched.Length];
        for (var s = 0; s < result.Length; s++)
        {
            result[s] = ((users * searched[s]) + (t * global[s])) / (users + t);
        }

        return result;
    }

    private float[] WeightsOf(int group) => (uint)group < (uint)_groupWeights.Length ? _groupWeights[group] : _globalWeights;

    private void Combine(float[] weights, int group, Span<float> scores, Action<IRecommender, float[]> signal)
    {
        var n = ItemCount;
        var buffer = ArrayPool<float>.Shared.Rent(n);
        try
        {
            var total = scores[..n];
            total.Clear();
            var part = buffer.AsSpan(0, n);
            for (var s = 0; s < Signals.Count; s++)
            {
                if (weights[s] == 0)
                {
                    continue;
                }

                signal(Signals[s].Model, buffer);
                ScoreScaling.Standardize(part);
                TensorPrimitives.MultiplyAdd(part, weights[s], total, total);
            }

            if (ItemPart(weights, group, part))
            {
                TensorPrimitives.Add(total, part, total);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>weights[^1] × standardized cohort popularity + the group's offset (only when <paramref name="weights"/> are the group's own).</summary>
    private bool ItemPart(float[] weights, int group, Span<float> destination)
    {
        destination.Clear();
        var any = false;
        if (weights[^1] != 0)
        {
            _cohortPopularity.ScoreGroup(group, destination);
            ScoreScaling.Standardize(destination);
            TensorPrimitives.Multiply(destination, weights[^1], destination);
            any = true;
        }

        if (ReferenceEquals(weights, WeightsOf(group)) && OffsetOf(group) is { IsEmpty: false } offset)
        {
            TensorPrimitives.Add(destination, offset, destination);
            any = true;
        }

        return any;
    }

    private static IReadOnlyList<CohortSignal> Validate(IReadOnlyList<CohortSignal> signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        if (signals.Count == 0)
        {
            throw new ArgumentException("the backbone needs at least one signal", nameof(signals));
        }

        return signals;
    }

    /// <summary>The backbone alone, for "cohort model vs global" comparisons on the same fitted state.</summary>
    private sealed class GlobalView(CohortAwareRecommender owner) : IRecommender
    {
        public string Kind => "cohort-global";

        public int ItemCount => owner.ItemCount;

        public int UserCount => owner.UserCount;

        public void Fit(TrainingData data, Random random, CancellationToken cancellationToken = default)
        {
        }

        public void Score(int user, Span<float> scores)
            => owner.Combine(owner._globalWeights, -1, scores, (model, s) => model.Score(user, s));

        public void ScoreItems(ReadOnlySpan<int> recentItems, Span<float> scores) => owner.ScoreItemsInCohort(-1, recentItems, scores);

        public void Write(BinaryWriter writer) => throw new NotSupportedException("write the cohort model instead");
    }
}
