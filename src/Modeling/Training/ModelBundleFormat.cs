using System.Text;
using Cohortly.Modeling.Cohorts;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Repeats;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Training;

/// <summary>
/// The binary layout of a <see cref="ModelBundle"/>: magic "CHMB", format version, then each part in a fixed order,
/// and the magic again at the end so a truncated artifact is caught. Models go through
/// <see cref="RecommenderSerializer"/> (with their own kinds and versions); the named models that are also signals of
/// the scorer are written once, as the index of that signal.
/// </summary>
internal static class ModelBundleFormat
{
    /// <summary>
    /// 7: the scorer may carry an "ease" signal, EASE stored as item-kNN neighbour lists (item-kNN format 2, which records
    /// the fit); the layout is format 6's, the number changes so a reader that knows only item-kNN format 1 refuses the
    /// bundle at its header instead of part-way through the scorer. 6 (still read; item-kNN format 1, cosine): the self-tuning report (<see cref="TuningReport"/>) after the repeat cycles. 5 (still read; no tuning report):
    /// the repeat cycles (<see cref="RepeatModel"/>) after the purchase model. 4 (still read; no repeat
    /// cycles): the learned ranker (with its per-cohort comparison) and the purchase model (with its holdout metrics) after
    /// the summary. 3 (still read; no ranker, no purchase model): the reference time follows the training time. 2 (still
    /// read; reference = trained-at): typed serving policies (a kind code and that kind's parameters). 1 (still read): a
    /// policy name and ε.
    /// </summary>
    public const int FormatVersion = 7;
    private const int TuningFormat = 6;
    private const int RepeatsFormat = 5;
    private const int RankerFormat = 4;
    private const int ReferenceTimeFormat = 3;
    private const int NamedPolicyFormat = 1;
    private const int TypedPolicyFormat = 2;
    private const int Magic = 0x424D4843; // "CHMB"
    private const int Standalone = -1;
    private const int Absent = -2;

    public static byte[] Write(ModelBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            var serializer = RecommenderSerializer.Default;
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write(bundle.Version);
            w.Write(bundle.TrainedAt.UtcTicks);
            w.Write((short)bundle.TrainedAt.Offset.TotalMinutes);
            w.Write(bundle.ReferenceTime.UtcTicks);
            WriteSegmentation(w, bundle.Segmentation);
            BinaryArrays.WriteStrings(w, bundle.ItemIds);
            w.Write(bundle.Items.Count);
            foreach (var item in bundle.Items)
            {
                var m = item ?? ItemMetadata.Empty;
                w.Write(m.Title);
                BinaryArrays.WriteStrings(w, m.Categories);
                BinaryArrays.WriteStrings(w, m.Tags);
            }

            BinaryArrays.WriteStrings(w, bundle.UserIds);
            bundle.UserItems.Write(w);
            WriteInts(w, bundle.UserCohortIds);
            WriteInts(w, bundle.GroupCohortIds);
            serializer.WriteModel(w, bundle.Scorer);
            WriteNamed(w, bundle.Scorer, bundle.Factors);
            WriteNamed(w, bundle.Scorer, bundle.Neighbors);
            WriteNamed(w, bundle.Scorer, bundle.Popularity);
            WriteNamed(w, bundle.Scorer, bundle.Content);
            bundle.Context.Write(w);
            bundle.Provisional.Write(w);
            w.Write(bundle.Cohorts.Count);
            foreach (var r in bundle.Cohorts)
            {
                WriteReport(w, r);
            }

            var ids = new List<int>(bundle.Policies.Keys);
            ids.Sort();
            w.Write(ids.Count);
            foreach (var id in ids)
            {
                w.Write(id);
                WritePolicy(w, bundle.Policies[id]);
            }

            WritePolicy(w, bundle.DefaultPolicy);
            WriteSummary(w, bundle.Summary);
            BundleModelsFormat.WriteRanker(w, bundle.Ranker);
            BundleModelsFormat.WritePurchase(w, bundle.Purchase);
            w.Write(bundle.Repeats is not null);
            bundle.Repeats?.Write(w);
            TuningReportFormat.Write(w, bundle.Tuning);
            w.Write(Magic);
        }

        return stream.ToArray();
    }

    public static ModelBundle Read(ReadOnlySpan<byte> bytes)
    {
        using var stream = new MemoryStream(bytes.ToArray(), writable: false);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            return Read(r);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("model bundle is truncated", e);
        }
    }

    private static ModelBundle Read(BinaryReader r)
    {
        if (r.ReadInt32() != Magic)
        {
            throw new InvalidDataException("not a Cohortly model bundle");
        }

        var format = r.ReadInt32();
        if (format is not (FormatVersion or TuningFormat or RepeatsFormat or RankerFormat or ReferenceTimeFormat or TypedPolicyFormat or NamedPolicyFormat))
        {
            throw new InvalidDataException($"model bundle format version {format} is not supported (expected {NamedPolicyFormat} to {FormatVersion})");
        }

        var serializer = RecommenderSerializer.Default;
        var version = r.ReadInt64();
        var ticks = r.ReadInt64();
        var offset = TimeSpan.FromMinutes(r.ReadInt16());
        var trainedAt = new DateTimeOffset(ticks, TimeSpan.Zero).ToOffset(offset);
        // Before format 3 every run measured ages at its wall clock.
        var referenceTime = format >= ReferenceTimeFormat ? new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero) : trainedAt;
        var segmentation = ReadSegmentation(r);
        var itemIds = BinaryArrays.ReadStrings(r);
        var itemCount = ReadCount(r);
        var items = new ItemMetadata[itemCount];
        for (var i = 0; i < itemCount; i++)
        {
            var title = r.ReadString();
            var categories = BinaryArrays.ReadStrings(r);
            var tags = BinaryArrays.ReadStrings(r);
            items[i] = title.Length == 0 && categories.Length == 0 && tags.Length == 0 ? ItemMetadata.Empty : new ItemMetadata(title, categories, tags);
        }

        var userIds = BinaryArrays.ReadStrings(r);
        var userItems = SparseMatrix.Read(r);
        var userCohorts = ReadInts(r);
        var groupCohorts = ReadInts(r);
        if (serializer.ReadModel(r) is not CohortAwareRecommender scorer)
        {
            throw new InvalidDataException("model bundle scorer is not a cohort model");
        }

        var factors = ReadNamed<IalsRecommender>(r, scorer, serializer) ?? throw new InvalidDataException("model bundle has no factor model");
        var neighbors = ReadNamed<ItemKnnRecommender>(r, scorer, serializer) ?? throw new InvalidDataException("model bundle has no neighbour model");
        var popularity = ReadNamed<PopularityRecommender>(r, scorer, serializer) ?? throw new InvalidDataException("model bundle has no popularity model");
        var content = ReadNamed<ContentRecommender>(r, scorer, serializer);
        var context = ContextStatistics.Read(r);
        var provisional = ProvisionalCohortModel.Read(r);
        var reportCount = ReadCount(r);
        var reports = new CohortModelReport[reportCount];
        for (var k = 0; k < reportCount; k++)
        {
            reports[k] = ReadReport(r);
        }

        var policyCount = ReadCount(r);
        var policies = new Dictionary<int, ServingPolicy>(policyCount);
        for (var k = 0; k < policyCount; k++)
        {
            var id = r.ReadInt32();
            policies[id] = ReadPolicy(r, format);
        }

        var defaultPolicy = ReadPolicy(r, format);
        var summary = ReadSummary(r);
        var ranker = format >= RankerFormat ? BundleModelsFormat.ReadRanker(r) : null;
        var purchase = format >= RankerFormat ? BundleModelsFormat.ReadPurchase(r) : null;
        var repeats = format >= RepeatsFormat && r.ReadBoolean() ? RepeatModel.Read(r) : null;
        var tuning = format >= TuningFormat ? TuningReportFormat.Read(r) : null;
        if (r.ReadInt32() != Magic)
        {
            throw new InvalidDataException("model bundle is corrupt (end marker missing)");
        }

        if (items.Length != itemIds.Length || scorer.ItemCount != itemIds.Length || userItems.Rows != userIds.Length || userItems.Columns != itemIds.Length
            || (repeats is not null && (repeats.ItemIntervalDays.Count != itemIds.Length || repeats.UserCount != userIds.Length)))
        {
            throw new InvalidDataException("model bundle parts disagree on the number of users or items");
        }

        return new ModelBundle
        {
            Version = version,
            TrainedAt = trainedAt,
            ReferenceTime = referenceTime,
            Segmentation = segmentation,
            ItemIds = itemIds,
            Items = items,
            UserIds = userIds,
            UserItems = userItems,
            UserCohortIds = userCohorts,
            Scorer = scorer,
            GroupCohortIds = groupCohorts,
            Factors = factors,
            Neighbors = neighbors,
            Popularity = popularity,
            Content = content,
            Context = context,
            Provisional = provisional,
            Cohorts = reports,
            Policies = policies,
            DefaultPolicy = defaultPolicy,
            Summary = summary,
            Ranker = ranker,
            Purchase = purchase,
            Repeats = repeats,
            Tuning = tuning,
        };
    }

    private static void WriteSegmentation(BinaryWriter w, SegmentationModel s)
    {
        w.Write(s.Version);
        BinaryArrays.WriteStrings(w, s.FeatureNames);
        var d = s.Scaler.Dimensions;
        w.Write(d);
        BinaryArrays.Write(w, s.Scaler.Means);
        BinaryArrays.Write(w, s.Scaler.Scales);
        w.Write(s.Centroids.Count);
        foreach (var c in s.Centroids)
        {
            if (c.Length != d)
            {
                throw new InvalidOperationException("segmentation centroid and scaler dimensions differ");
            }

            BinaryArrays.Write(w, c);
        }

        WriteInts(w, s.CohortIds);
        BinaryArrays.WriteStrings(w, s.Labels);
    }

    private static SegmentationModel ReadSegmentation(BinaryReader r)
    {
        var version = r.ReadInt64();
        var names = BinaryArrays.ReadStrings(r);
        var d = ReadCount(r);
        var scaler = new FeatureScaler(BinaryArrays.ReadSingle(r, d), BinaryArrays.ReadSingle(r, d));
        var k = ReadCount(r);
        var centroids = new float[k][];
        for (var c = 0; c < k; c++)
        {
            centroids[c] = BinaryArrays.ReadSingle(r, d);
        }

        var ids = ReadInts(r);
        var labels = BinaryArrays.ReadStrings(r);
        if (ids.Length != k || labels.Length != k || names.Length != d)
        {
            throw new InvalidDataException("segmentation parts disagree on the number of cohorts or features");
        }

        return new SegmentationModel(version, names, scaler, centroids, ids, labels);
    }

    private static void WriteNamed(BinaryWriter w, CohortAwareRecommender scorer, IRecommender? model)
    {
        if (model is null)
        {
            w.Write(Absent);
            return;
        }

        for (var s = 0; s < scorer.Signals.Count; s++)
        {
            if (ReferenceEquals(scorer.Signals[s].Model, model))
            {
                w.Write(s);
                return;
            }
        }

        w.Write(Standalone);
        RecommenderSerializer.Default.WriteModel(w, model);
    }

    private static T? ReadNamed<T>(BinaryReader r, CohortAwareRecommender scorer, RecommenderSerializer serializer)
        where T : class, IRecommender
    {
        var index = r.ReadInt32();
        var model = index switch
        {
            Absent => null,
            Standalone => serializer.ReadModel(r),
            _ when (uint)index < (uint)scorer.Signals.Count => scorer.Signals[index].Model,
            _ => throw new InvalidDataException($"model bundle refers to signal {index} of {scorer.Signals.Count}"),
        };
        if (model is not null and not T)
        {
            throw new InvalidDataException($"model bundle part is a '{model.Kind}' model, expected {typeof(T).Name}");
        }

        return (T?)model;
    }

    private static void WriteReport(BinaryWriter w, CohortModelReport r)
    {
        w.Write(r.CohortId);
        w.Write(r.Label);
        w.Write(r.TrainingUsers);
        w.Write(r.HoldoutUsers);
        w.Write(r.Adapted);
        w.Write(r.GlobalNdcg);
        w.Write(r.AdaptedNdcg);
        w.Write(r.OutOfFoldGain);
        w.Write(r.Weights.Count);
        foreach (var (name, weight) in r.Weights)
        {
            w.Write(name);
            w.Write(weight);
        }
    }

    private static CohortModelReport ReadReport(BinaryReader r)
    {
        var id = r.ReadInt32();
        var label = r.ReadString();
        var trainingUsers = r.ReadInt32();
        var holdoutUsers = r.ReadInt32();
        var adapted = r.ReadBoolean();
        var global = r.ReadDouble();
        var adaptedNdcg = r.ReadDouble();
        var gain = r.ReadDouble();
        var count = ReadCount(r);
        var weights = new Dictionary<string, float>(count, StringComparer.Ordinal);
        for (var k = 0; k < count; k++)
        {
            var name = r.ReadString();
            weights[name] = r.ReadSingle();
        }

        return new CohortModelReport(id, label, trainingUsers, holdoutUsers, adapted, global, adaptedNdcg, gain, weights);
    }

    private const byte NoExplorationCode = 0;
    private const byte EpsilonGreedyCode = 1;
    private const byte Ucb1Code = 2;
    private const byte ThompsonCode = 3;

    private static void WritePolicy(BinaryWriter w, ServingPolicy p)
    {
        switch (p.Exploration)
        {
            case NoExploration:
                w.Write(NoExplorationCode);
                break;
            case EpsilonGreedyExploration e:
                w.Write(EpsilonGreedyCode);
                w.Write(e.Epsilon);
                break;
            case Ucb1Exploration u:
                w.Write(Ucb1Code);
                w.Write(u.Constant);
                break;
            case ThompsonExploration t:
                w.Write(ThompsonCode);
                w.Write(t.Alpha);
                w.Write(t.Beta);
                break;
            default:
                throw new InvalidOperationException($"exploration policy {p.Exploration?.GetType().Name} has no bundle code");
        }

        w.Write(p.DiversityLambda);
        w.Write(p.ExplorationSlots);
    }

    private static ServingPolicy ReadPolicy(BinaryReader r, int format)
    {
        if (format == NamedPolicyFormat)
        {
            return ReadNamedPolicy(r);
        }

        var code = r.ReadByte();
        ExplorationSpec exploration = code switch
        {
            NoExplorationCode => NoExploration.Instance,
            EpsilonGreedyCode => new EpsilonGreedyExploration(r.ReadDouble()),
            Ucb1Code => new Ucb1Exploration(r.ReadDouble()),
            ThompsonCode => new ThompsonExploration(r.ReadDouble(), r.ReadDouble()),
            _ => throw new InvalidDataException($"model bundle has an unknown exploration policy code {code}"),
        };
        var policy = new ServingPolicy(exploration, r.ReadDouble(), r.ReadInt32());
        return policy.Validate() is { Count: > 0 } errors
            ? throw new InvalidDataException($"model bundle has an invalid serving policy: {errors[0].Field} {errors[0].Message}")
            : policy;
    }

    /// <summary>
    /// Format 1 stored a policy name, ε, λ and slots, and serving read the name case-insensitively: "ucb" and "ucb1"
    /// were UCB1 with constant 1, "thompson" a Beta(1, 1) prior, ε was clamped to [0, 1], and any other name meant no
    /// exploration. Reading keeps exactly what those bundles served.
    /// </summary>
    private static ServingPolicy ReadNamedPolicy(BinaryReader r)
    {
        var name = r.ReadString();
        var epsilon = r.ReadDouble();
        var lambda = r.ReadDouble();
        var slots = r.ReadInt32();
        ExplorationSpec exploration = name.ToLowerInvariant() switch
        {
            "epsilon-greedy" => new EpsilonGreedyExploration(double.IsNaN(epsilon) ? 0 : Math.Clamp(epsilon, 0, 1)),
            "ucb" or "ucb1" => new Ucb1Exploration(1),
            "thompson" => new ThompsonExploration(1, 1),
            _ => NoExploration.Instance,
        };
        return new ServingPolicy(exploration, double.IsNaN(lambda) ? 1 : Math.Clamp(lambda, 0, 1), Math.Clamp(slots, 0, ServingPolicy.MaxExplorationSlots));
    }

    private static void WriteSummary(BinaryWriter w, TrainingSummary s)
    {
        w.Write(s.Events);
        w.Write(s.Users);
        w.Write(s.Items);
        w.Write(s.Cohorts);
        w.Write(s.HoldoutNdcgGlobal);
        w.Write(s.HoldoutNdcgCohort);
        w.Write(s.Stages.Count);
        foreach (var stage in s.Stages)
        {
            w.Write(stage.Stage);
            w.Write(stage.Seconds);
        }
    }

    private static TrainingSummary ReadSummary(BinaryReader r)
    {
        var events = r.ReadInt64();
        var users = r.ReadInt32();
        var items = r.ReadInt32();
        var cohorts = r.ReadInt32();
        var global = r.ReadDouble();
        var cohort = r.ReadDouble();
        var count = ReadCount(r);
        var stages = new StageTiming[count];
        for (var k = 0; k < count; k++)
        {
            stages[k] = new StageTiming(r.ReadString(), r.ReadDouble());
        }

        return new TrainingSummary(events, users, items, cohorts, global, cohort, stages);
    }

    private static void WriteInts(BinaryWriter w, IReadOnlyList<int> values)
    {
        var array = new int[values.Count];
        for (var k = 0; k < array.Length; k++)
        {
            array[k] = values[k];
        }

        w.Write(array.Length);
        BinaryArrays.Write(w, array);
    }

    private static int[] ReadInts(BinaryReader r) => BinaryArrays.ReadInt32(r, ReadCount(r));

    private static int ReadCount(BinaryReader r)
    {
        var n = r.ReadInt32();
        if (n < 0 || n > r.BaseStream.Length)
        {
            throw new InvalidDataException($"model bundle has an impossible count {n}");
        }

        return n;
    }
}
