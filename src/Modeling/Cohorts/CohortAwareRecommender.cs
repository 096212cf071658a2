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
public sealed class CohortAwareRecommender(IReadOnlyList<CohortSignal> signals, SparseMatrix validationItems, CohortStrategyOptions? options = null) : IRecommender
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

    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatVersion);
        writer.Write(Signals.Count);
        foreach (var s in Signals)
        {
            writer.Write(s.Name);
            writer.Write(s.GlobalWeight);
            RecommenderSerializer.Default.WriteModel(writer, s.Model);
        }

        RecommenderSerializer.Default.WriteModel(writer, _cohortPopularity);
        writer.Write(_userGroups.Length);
        BinaryArrays.Write(writer, _userGroups);
        writer.Write(_groupWeights.Length);
        foreach (var d in _decisions)
        {
            writer.Write(d.Adapted);
            writer.Write(d.ValidationUsers);
            writer.Write(d.GlobalNdcg);
            writer.Write(d.AdaptedNdcg);
            writer.Write(d.OutOfFoldGain);
            writer.Write(d.OutOfFoldStandardError);
            BinaryArrays.Write(writer, [.. d.Weights]);
            writer.Write((int)d.Form);
            writer.Write(d.OffsetWeight);
            writer.Write(d.Evidence.Count);
            foreach (var e in d.Evidence)
            {
                writer.Write((int)e.Form);
                writer.Write(e.Gain);
                writer.Write(e.StandardError);
                writer.Write(e.Weight);
            }

            var offset = OffsetOf(d.Group);
            writer.Write(offset.Length);
            BinaryArrays.Write(writer, offset.ToArray());
        }
    }

    /// <summary>Reads a fitted model; <see cref="RecommenderSerializer.Default"/> knows this kind.</summary>
    public static CohortAwareRecommender Read(BinaryReader reader, RecommenderSerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(serializer);
        var format = reader.ReadInt32();
        if (format is not (FormatVersion or WeightsOnlyFormat))
        {
            throw new InvalidDataException($"{KindName} model format version {format} is not supported (expected {WeightsOnlyFormat} to {FormatVersion})");
        }

        var count = reader.ReadInt32();
        if (count <= 0)
        {
            throw new InvalidDataException("a cohort model needs at least one signal");
        }

        var signals = new CohortSignal[count];
        for (var s = 0; s < count; s++)
        {
            var name = reader.ReadString();
            var weight = reader.ReadSingle();
            signals[s] = new CohortSignal(name, serializer.ReadModel(reader), weight);
        }

        var model = new CohortAwareRecommender(signals, null!)
        {
            _cohortPopularity = (PopularityRecommender)serializer.ReadModel(reader),
        };
        model._userGroups = BinaryArrays.ReadInt32(reader, reader.ReadInt32());
        model._globalWeights = new float[count + 1];
        for (var s = 0; s < count; s++)
        {
            model._globalWeights[s] = signals[s].GlobalWeight;
        }

        var groups = reader.ReadInt32();
        model._groupWeights = new float[groups][];
        model._groupOffsets = new float[groups][];
        model._decisions = new CohortDecision[groups];
        for (var g = 0; g < groups; g++)
        {
            var adapted = reader.ReadBoolean();
            var users = reader.ReadInt32();
            var globalNdcg = reader.ReadDouble();
            var adaptedNdcg = reader.ReadDouble();
            var gain = reader.ReadDouble();
            var standardError = reader.ReadDouble();
            var weights = BinaryArrays.ReadSingle(reader, count + 1);
            model._groupWeights[g] = weights;
            var decision = new CohortDecision(g, users, adapted, weights, globalNdcg, adaptedNdcg, gain, standardError);
            model._groupOffsets[g] = [];
            if (format >= FormatVersion)
            {
                var form = ReadForm(reader);
                var offsetWeight = reader.ReadSingle();
                var evidence = new CohortFormEvidence[ReadCount(reader, 16)];
                for (var x = 0; x < evidence.Length; x++)
                {
                    evidence[x] = new CohortFormEvidence(ReadForm(reader), reader.ReadDouble(), reader.ReadDouble(), reader.ReadSingle());
                }

                var length = reader.ReadInt32();
                if (length != 0 && length != model.ItemCount)
                {
                    throw new InvalidDataException($"cohort offset of group {g} has {length} items, the signals {model.ItemCount}");
                }

                model._groupOffsets[g] = BinaryArrays.ReadSingle(reader, length);
                decision = decision with { Form = form, OffsetWeight = offsetWeight, Evidence = evidence };
            }

            model._decisions[g] = decision;
        }

        return model;
    }

    private static CohortAdaptationForm ReadForm(BinaryReader reader)
    {
        var code = reader.ReadInt32();
        return Enum.IsDefined((CohortAdaptationForm)code) ? (CohortAdaptationForm)code : throw new InvalidDataException($"unknown cohort adaptation form {code}");
    }

    private static int ReadCount(BinaryReader reader, int max)
    {
        var n = reader.ReadInt32();
        return (uint)n <= (uint)max ? n : throw new InvalidDataException($"count {n} out of range 0..{max}");
    }

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

    /// <summary>
    /// Each validation user's candidates, computed once, so each candidate weighting costs only a weighted sum over a
    /// few hundred items and a top-k per user. A user keeps the union of every signal's best
    /// <see cref="CandidatesPerSignal"/> unseen items with their standardized scores on every signal, and per signal the
    /// best score left outside (t_s). With non-negative weights no item outside the union can score above Σ w_s·t_s, so
    /// when the k-th candidate scores strictly above that bound the candidates' top-k is the full scan's top-k, ties and
    /// order included (the same float operations in the same order); otherwise the user is scored in full again. Keeping
    /// every user's dense scores instead (signals × items floats each) needed 2 MB a user at 100,000 items.
    /// </summary>
    private sealed class WeightSearch
    {
        private const int CandidatesPerSignal = 50;
        private readonly CohortAwareRecommender _owner;
        private readonly SparseMatrix _train;
        private readonly SparseMatrix _relevant;
        private readonly Dictionary<int, Candidates> _candidates = [];
        private readonly int _items;
        private readonly int _signals;
        private readonly CancellationToken _cancellationToken;
        private long _evaluations;
        private long _fullScans;

        public WeightSearch(CohortAwareRecommender owner, TrainingData data, SparseMatrix relevant, List<int>[] members, CancellationToken cancellationToken)
        {
            _owner = owner;
            _train = data.UserItems;
            _relevant = relevant;
            _items = data.ItemCount;
            // Columns: the backbone signals, the cohort popularity, then one per offset form (the group's vector).
            _signals = owner.Signals.Count + 1 + OffsetForms.Length;
            GlobalWeights = new float[_signals];
            owner._globalWeights.CopyTo(GlobalWeights, 0);
            _cancellationToken = cancellationToken;
            var users = new List<int>();
            foreach (var m in members)
            {
                users.AddRange(m);
            }

            var rows = new Candidates[users.Count];
            Parallel.For(
                0,
                users.Count,
                new ParallelOptions { CancellationToken = cancellationToken },
                () => (Dense: new float[_signals * _items], Heap: new TopKHeap(CandidatesPerSignal + 1), Top: new int[CandidatesPerSignal + 1], Top2: new float[CandidatesPerSignal + 1], Union: new List<int>(), Mark: new int[_items]),
                (x, _, ws) =>
                {
                    var u = users[x];
                    Standardized(u, ws.Dense);
                    var excluded = _train.RowColumns(u);
                    var bounds = new float[_signals];
                    ws.Union.Clear();
                    // The offset columns add no candidates (that would grow every evaluation of every form); their
                    // bound is the best value outside the union, measured below.
                    for (var s = 0; s < RankedColumns; s++)
                    {
                        TopK.Fill(ws.Dense.AsSpan(s * _items, _items), excluded, ws.Heap);
                        var n = ws.Heap.Drain(ws.Top, ws.Top2);
                        // The (M+1)-th best is the best left outside; fewer than M+1 means none is left outside.
                        bounds[s] = n > CandidatesPerSignal ? ws.Top2[CandidatesPerSignal] : float.NegativeInfinity;
                        for (var j = 0; j < Math.Min(n, CandidatesPerSignal); j++)
                        {
                            ws.Union.Add(ws.Top[j]);
                        }
                    }

                    ws.Union.Sort();
                    var count = 0;
                    for (var j = 0; j < ws.Union.Count; j++)
                    {
                        if (j == 0 || ws.Union[j] != ws.Union[j - 1])
                        {
                            ws.Union[count++] = ws.Union[j];
                        }
                    }

                    OutsideBounds(x + 1, ws.Union, count, excluded, ws.Dense, ws.Mark, bounds);
                    var items = new int[count];
                    var scores = new float[_signals * count];
                    for (var j = 0; j < count; j++)
                    {
                        items[j] = ws.Union[j];
                        for (var s = 0; s < _signals; s++)
                        {
                            scores[(s * count) + j] = ws.Dense[(s * _items) + items[j]];
                        }
                    }

                    rows[x] = new Candidates(items, scores, bounds);
                    return ws;
                },
                _ => { });
            for (var x = 0; x < users.Count; x++)
            {
                _candidates[users[x]] = rows[x];
            }
        }

        /// <summary>Columns whose best items join the candidates: the backbone signals and the cohort popularity.</summary>
        private int RankedColumns => _owner.Signals.Count + 1;

        /// <summary>The global weights over every search column (0 for the offset forms).</summary>
        public float[] GlobalWeights { get; }

        public long Evaluations => Interlocked.Read(ref _evaluations);

        /// <summary>Whether a group's vector in an offset column is all zeros (nothing to adopt).</summary>
        public bool IsZeroColumn(int column, int group)
        {
            var f = column - _owner.Signals.Count - 1;
            if ((uint)f >= (uint)_owner._formVectors.Length || (uint)group >= (uint)_owner._formVectors[f].Length)
            {
                return true;
            }

            foreach (var v in _owner._formVectors[f][group])
            {
                if (v != 0)
                {
                    return false;
                }
            }

            return true;
        }

        public long FullScans => Interlocked.Read(ref _fullScans);

        public double Mean(int[] users, float[] weights)
        {
            if (users.Length == 0)
            {
                return 0;
            }

            var total = 0.0;
            foreach (var v in PerUser(users, weights))
            {
                total += v;
            }

            return total / users.Length;
        }

        /// <summary>Validation NDCG@k of every listed user under a weighting.</summary>
        public double[] PerUser(int[] users, float[] weights)
        {
            var k = _owner.Options.K;
            var sums = new double[users.Length];
            Interlocked.Add(ref _evaluations, users.Length);
            var nonNegative = !_owner.Options.ExhaustiveSearch;
            foreach (var w in weights)
            {
                nonNegative &= w >= 0;
            }

            Parallel.For(
                0,
                users.Length,
                new ParallelOptions { CancellationToken = _cancellationToken },
                () => (Total: new float[_items], Dense: (float[]?)null, Heap: new TopKHeap(k), Top: new int[k]),
                (x, _, ws) =>
                {
                    var u = users[x];
                    var c = _candidates[u];
                    var count = c.Items.Length;
                    var total = ws.Total.AsSpan(0, count);
                    total.Clear();
                    var bound = 0f;
                    for (var s = 0; s < _signals; s++)
                    {
                        if (weights[s] != 0)
                        {
                            TensorPrimitives.MultiplyAdd(c.Scores.AsSpan(s * count, count), weights[s], total, total);
                            bound = (c.Bounds[s] * weights[s]) + bound;
                        }
                    }

                    ws.Heap.Clear();
                    for (var j = 0; j < count; j++)
                    {
                        if (float.IsFinite(total[j]))
                        {
                            ws.Heap.Offer(c.Items[j], total[j]);
                        }
                    }

                    int n;
                    if (nonNegative && (ws.Heap.Threshold > bound || float.IsNegativeInfinity(bound) || AllInside(c)))
                    {
                        n = ws.Heap.Drain(ws.Top);
                    }
                    else
                    {
                        Interlocked.Increment(ref _fullScans);
                        ws.Dense ??= new float[_signals * _items];
                        Standardized(u, ws.Dense);
                        var full = ws.Total.AsSpan(0, _items);
                        full.Clear();
                        for (var s = 0; s < _signals; s++)
                        {
                            if (weights[s] != 0)
                            {
                                TensorPrimitives.MultiplyAdd(ws.Dense.AsSpan(s * _items, _items), weights[s], full, full);
                            }
                        }

                        n = TopK.Select(full, _train.RowColumns(u), ws.Heap, ws.Top);
                    }

                    sums[x] = RankingMetrics.Compute(ws.Top.AsSpan(0, n), _relevant.RowColumns(u), k).Ndcg;
                    return ws;
                },
                _ => { });
            return sums;
        }

        /// <summary>Per offset column: the best value among unseen items outside the candidates (−∞ when there are none).</summary>
        private void OutsideBounds(int stamp, List<int> union, int count, ReadOnlySpan<int> excluded, float[] dense, int[] mark, float[] bounds)
        {
            for (var j = 0; j < count; j++)
            {
                mark[union[j]] = stamp;
            }

            foreach (var i in excluded)
            {
                mark[i] = stamp;
            }

            for (var s = RankedColumns; s < _signals; s++)
            {
                var best = float.NegativeInfinity;
                var column = dense.AsSpan(s * _items, _items);
                for (var i = 0; i < column.Length; i++)
                {
                    if (mark[i] != stamp && column[i] > best)
                    {
                        best = column[i];
                    }
                }

                bounds[s] = best;
            }
        }

        // A signal with nothing left outside its candidates means every unseen item is a candidate.
        private static bool AllInside(Candidates c)
        {
            foreach (var b in c.Bounds)
            {
                if (float.IsNegativeInfinity(b))
                {
                    return true;
                }
            }

            return false;
        }

        private void Standardized(int user, float[] dense)
        {
            for (var s = 0; s < _signals; s++)
            {
                var part = dense.AsSpan(s * _items, _items);
                if (s < _owner.Signals.Count)
                {
                    _owner.Signals[s].Model.Score(user, part);
                }
                else if (s == _owner.Signals.Count)
                {
                    _owner._cohortPopularity.Score(user, part);
                }
                else
                {
                    // An offset form enters as it serves: its vector as is, times its weight.
                    var f = s - _owner.Signals.Count - 1;
                    var g = _owner._userGroups[user];
                    if ((uint)g < (uint)_owner._formVectors[f].Length)
                    {
                        _owner._formVectors[f][g].CopyTo(part);
                    }
                    else
                    {
                        part.Clear();
                    }

                    continue;
                }

                ScoreScaling.Standardize(part);
            }
        }

        /// <summary>
        /// Coordinate search from <paramref name="start"/> over columns first..first+count−1 with values from
        /// <paramref name="grid"/>; a value replaces the current one only if strictly better.
        /// </summary>
        public float[] Search(int[] users, float[] start, int first, int count, IReadOnlyList<float> grid)
        {
            var current = (float[])start.Clone();
            var best = Mean(users, current);
            // One column has nothing to revisit: a second pass over the same grid cannot find a better value.
            var passes = count == 1 ? 1 : Math.Max(1, _owner.Options.SearchPasses);
            for (var pass = 0; pass < passes; pass++)
            {
                var changed = false;
                for (var s = first; s < first + count; s++)
                {
                    foreach (var value in grid)
                    {
                        if (value == current[s])
                        {
                            continue;
                        }

                        var candidate = (float[])current.Clone();
                        candidate[s] = value;
                        if (!HasNonZero(candidate))
                        {
                            continue;
                        }

                        var score = Mean(users, candidate);
                        if (score > best + 1e-9)
                        {
                            best = score;
                            current = candidate;
                            changed = true;
                        }
                    }
                }

                if (!changed)
                {
                    break;
                }
            }

            return current;
        }

        private static bool HasNonZero(float[] weights)
        {
            foreach (var w in weights)
            {
                if (w != 0)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>A validation user's candidate items (ascending), their standardized scores per signal (signal-major), and per signal the best score outside them.</summary>
    private sealed record Candidates(int[] Items, float[] Scores, float[] Bounds);

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
