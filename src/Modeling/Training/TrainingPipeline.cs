using System.Diagnostics;
using Cohortly.Modeling.Cohorts;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Training;

/// <summary>One user's attributes as recorded in the training log (latest wins).</summary>
public sealed record UserAttributes(string UserId, IReadOnlyDictionary<string, string> Attributes);

/// <summary>Progress of a run: stage name, overall fraction 0..1.</summary>
public readonly record struct TrainingProgress(string Stage, double Fraction);

/// <summary>What a run reads: the log within retention, the catalog, attributes, and the previous segmentation (stable ids).</summary>
public sealed record TrainingInput(
    IReadOnlyList<Interaction> Events,
    IReadOnlyList<ItemInfo> Catalog,
    IReadOnlyList<UserAttributes> Attributes,
    SegmentationModel? PreviousSegmentation,
    long Version,
    DateTimeOffset Now)
{
    /// <summary>First cohort id never issued by any earlier version (0 = derive from <see cref="PreviousSegmentation"/>).</summary>
    public int NextCohortId { get; init; }

    /// <summary>
    /// The active model the new version must not be worse than (<see cref="PromotionGate"/>); null when nothing is
    /// active, which promotes the new version.
    /// </summary>
    public ModelBundle? Active { get; init; }

    /// <summary>The wall clock of the self-tuning's safety cap (<see cref="TrainingTuningOptions.Cap"/>).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// The end-to-end training run: log → user features → segmentation → global backbone → per-cohort adaptation and
/// selection on holdout → per-cohort metrics → <see cref="ModelBundle"/>. Pure CPU work; the caller decides the thread.
/// Deterministic for a given set of events (in any order), catalog, attributes and options.
/// </summary>
public static class TrainingPipeline
{
    /// <summary>Stage names in the order they run, with the share of the overall fraction each one spans.</summary>
    public static IReadOnlyList<(string Stage, double Share)> Stages { get; } =
    [
        ("reading", 0.05),
        ("features", 0.10),
        ("segmentation", 0.10),
        ("tuning", 0.15),
        ("backbone", 0.15),
        ("cohorts", 0.10),
        ("metrics", 0.05),
        ("purchase", 0.05),
        ("ranker", 0.10),
        ("refit", 0.10),
        ("packaging", 0.05),
    ];

    public static ModelBundle Run(TrainingInput input, TrainingOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var stages = new StageClock(progress, cancellationToken);

        stages.Begin("reading");
        var log = TrainingLog.Read(input, options, cancellationToken);
        if (log.UserIds.Length < 2)
        {
            throw new InsufficientTrainingDataException(
                $"training needs interaction events from at least 2 users; the log has {input.Events.Count} events ({log.Skipped} skipped as out of bounds) from {log.UserIds.Length} user(s)");
        }

        if (log.Positives.Count == 0)
        {
            throw new InsufficientTrainingDataException(
                $"training needs positive interactions (view, click, add_to_cart, purchase, or rating >= {options.PositiveRating}); the {input.Events.Count} events have none");
        }

        stages.Begin("features");
        // Ages are measured at the run's reference (the newest event by default), not at the wall clock, so the same
        // log trains the same model on any date.
        var reference = ModelClock.Reference(options.ReferenceTime, input.Now, log.EventTimes);
        var nowMs = reference.ToUnixTimeMilliseconds();
        // One profile at a time; the run keeps each user's features, device and main context, not the profiles.
        var replayed = ReplayedUsers.Replay(log, options.Profile, nowMs, cancellationToken);
        var features = replayed.Features;

        stages.Begin("segmentation");
        // The same builder as a segmentation-only run: ids, labels, transitions and counts over the log's users.
        var basis = input.PreviousSegmentation is { } previous ? new SegmentationBasis(previous, input.NextCohortId) : null;
        var segmentationVersion = SegmentationVersions.Build(features, ProfileFeatures.Names, basis, input.Version, options.Segmentation, SegmentationRunKind.Training, cancellationToken);
        segmentationVersion = DriftReference(segmentationVersion, replayed, options.DriftReferenceWindow);
        var segmentation = segmentationVersion.Model;
        var groups = new int[replayed.Count];
        var groupSizes = new int[segmentation.Centroids.Count];
        for (var u = 0; u < groups.Length; u++)
        {
            groups[u] = segmentation.NearestIndex(features.ReadRow(u), out _);
            groupSizes[groups[u]]++;
        }

        var (train, holdout) = Holdout(log.Positives, options);
        cancellationToken.ThrowIfCancellationRequested();

        stages.Begin("tuning");
        // Chosen on a split inside the training part; from here on the run fits the chosen configuration (on the training
        // part, then refitted on everything), and its own holdout measures it as it measured the configured one.
        var (tunedOptions, tuning) = TrainingTuner.Tune(train, options, input.Time, cancellationToken);
        options = tunedOptions;

        stages.Begin("backbone");
        var trainData = new TrainingData(train, groups);
        var content = log.HasContent;
        var signals = FitSignals(trainData, options, content, stages, cancellationToken);

        stages.Begin("cohorts");
        var selection = new CohortAwareRecommender(signals, holdout, options.Cohorts);
        selection.Fit(trainData, new Random(options.Seed + 10), cancellationToken);

        stages.Begin("metrics");
        var metrics = HoldoutMetrics.Measure(selection, trainData.UserItems, holdout, groups, groupSizes.Length, options.Cohorts.K, cancellationToken);
        var reports = Reports(selection, segmentation, groupSizes, metrics);

        stages.Begin("purchase");
        // At the run's reference like the features: replaying an old log must not look for purchases after its end.
        var purchase = PurchaseTraining.Fit(log, options, reference, cancellationToken);
        var repeats = RepeatTraining.Fit(log, options.Repeats, cancellationToken);

        stages.Begin("ranker");
        var context = FitContext(log);
        var provisional = FitProvisional(input.Attributes, log, replayed, groups, segmentation);
        var policies = new Dictionary<int, ServingPolicy>(segmentation.CohortIds.Count);
        var defaultPolicy = options.DefaultPolicy;
        foreach (var id in segmentation.CohortIds)
        {
            policies[id] = defaultPolicy;
        }

        var userCohorts = new int[groups.Length];
        for (var u = 0; u < groups.Length; u++)
        {
            userCohorts[u] = segmentation.CohortIds[groups[u]];
        }

        RankerModel? ranker = null;
        ModelBundle? rankedProbe = null;
        if (options.Ranker)
        {
            // The run's models without the holdout, packaged as serving sees a bundle, so the ranker learns from and is
            // compared on the serving stages' own candidates and features.
            var probe = Package(
                signals,
                trainData,
                CohortAwareRecommender.FromDecisions(signals, trainData, selection.Decisions, options.Cohorts, cancellationToken),
                new TrainingSummary(input.Events.Count, log.UserIds.Length, log.ItemIds.Length, segmentation.Centroids.Count, metrics.OverallGlobal, metrics.OverallServed, []),
                segmentationVersion: null,
                promotion: null,
                ranker: null);
            ranker = RankerTraining.Fit(probe, holdout, RankerUsers(log, holdout, replayed, userCohorts), segmentation.CohortIds, options, input.Now, cancellationToken);
            // The probe with its ranker: what the candidate serves where the ranker serves, without the holdout.
            rankedProbe = ranker.Model is null ? null : probe.WithRanker(ranker);
            probe = null!; // dropped before the refit (see there)
        }

        // After the ranker: the gate compares what each version would serve (its ranker where it serves, its blend elsewhere).
        var ranked = new RankedServing(rankedProbe, input.Now, replayed.Devices);
        var promotion = Promotion(input, options, selection, trainData.UserItems, holdout, groups, segmentation, features, log, reports, ranked, cancellationToken);

        stages.Begin("refit");
        // The refit fits a second set of models on everything. The first set, the training part it was fitted on and
        // the log's event columns are dropped before it (about 1.5 GB at 20M events and a million users): a run is one
        // call of this method, and unoptimized (tier-0) code keeps every local alive to the method's end, so they are
        // cleared by hand.
        var decisions = selection.Decisions;
        signals = null!;
        selection = null!;
        trainData = null!;
        train = null!;
        rankedProbe = null;
        ranked = null!;
        log.ReleaseEvents();
        var allData = new TrainingData(log.Positives, groups);
        var served = FitSignals(allData, options, content, stages, cancellationToken);
        var scorer = CohortAwareRecommender.FromDecisions(served, allData, decisions, options.Cohorts, cancellationToken);

        stages.Begin("packaging");

        var timings = stages.Finish();
        return Package(
            served,
            allData,
            scorer,
            new TrainingSummary(input.Events.Count, log.UserIds.Length, log.ItemIds.Length, segmentation.Centroids.Count, metrics.OverallGlobal, metrics.OverallServed, timings) { SkippedEvents = log.Skipped },
            segmentationVersion,
            promotion,
            ranker);

        // One packaging for the ranker's probe (the models without the holdout) and the served bundle (refitted on
        // everything), so serving sees the probe exactly as it will see the bundle.
        ModelBundle Package(List<CohortSignal> fitted, TrainingData data, CohortAwareRecommender bundleScorer, TrainingSummary summary, SegmentationVersion? segmentationVersion, PromotionDecision? promotion, RankerModel? ranker) => new()
        {
            Version = input.Version,
            TrainedAt = input.Now,
            ReferenceTime = reference,
            Segmentation = segmentation,
            SegmentationVersion = segmentationVersion,
            ItemIds = log.ItemIds,
            Items = log.Metadata,
            UserIds = log.UserIds,
            UserItems = data.UserItems,
            UserCohortIds = userCohorts,
            Scorer = bundleScorer,
            GroupCohortIds = [.. segmentation.CohortIds],
            Factors = (IalsRecommender)Find(fitted, "ials")!,
            Neighbors = (ItemKnnRecommender)Find(fitted, "itemknn")!,
            Popularity = (PopularityRecommender)Find(fitted, "popularity")!,
            Content = (ContentRecommender?)Find(fitted, "content"),
            Context = context,
            Provisional = provisional,
            Cohorts = reports,
            Policies = policies,
            DefaultPolicy = defaultPolicy,
            Promotion = promotion,
            Ranker = ranker,
            Purchase = purchase,
            Repeats = repeats,
            Summary = summary,
            Tuning = tuning,
        };
    }

    /// <summary>
    /// A seeded per-user random holdout of positives: users with at least <see cref="TrainingOptions.HoldoutMinPositives"/>
    /// give round(fraction·n) (at least one) of them; everyone else trains on all. Rows are visited in (user, item)
    /// order, so the split depends only on the seed and the data.
    /// </summary>
    internal static (InteractionDataset Train, SparseMatrix Holdout) Holdout(InteractionDataset positives, TrainingOptions options)
    {
        var random = new Random(options.Seed);
        var (start, order) = positives.RowsByUser();
        var chosen = HoldoutUsers(start, positives.UserCount, options);
        var held = new bool[positives.Count];
        var heldUsers = new List<int>();
        var heldItems = new List<int>();
        for (var u = 0; u < positives.UserCount; u++)
        {
            var n = start[u + 1] - start[u];
            if (n < options.HoldoutMinPositives || (chosen is not null && !chosen[u]))
            {
                continue;
            }

            var rows = order.AsSpan(start[u], n).ToArray();
            var take = Math.Max(1, (int)Math.Round(n * options.HoldoutFraction));
            for (var x = 0; x < take; x++)
            {
                var pick = x + random.Next(n - x);
                (rows[x], rows[pick]) = (rows[pick], rows[x]);
                held[rows[x]] = true;
                heldUsers.Add(u);
                heldItems.Add(positives.Items[rows[x]]);
            }
        }

        var train = positives.Where(r => !held[r]);
        var ones = new float[heldUsers.Count];
        Array.Fill(ones, 1f);
        var holdout = SparseMatrix.FromCoordinates(positives.UserCount, positives.ItemCount, [.. heldUsers], [.. heldItems], ones);
        return (train, holdout);
    }

    /// <summary>
    /// Null when every eligible user fits under <see cref="TrainingOptions.HoldoutMaxUsers"/> (the split is then the
    /// unbounded one, draw for draw); otherwise a seeded sample of that many eligible users, drawn from its own stream
    /// so the per-user picks keep theirs.
    /// </summary>
    private static bool[]? HoldoutUsers(int[] start, int userCount, TrainingOptions options)
    {
        var eligible = new List<int>();
        for (var u = 0; u < userCount; u++)
        {
            if (start[u + 1] - start[u] >= options.HoldoutMinPositives)
            {
                eligible.Add(u);
            }
        }

        if (eligible.Count <= options.HoldoutMaxUsers)
        {
            return null;
        }

        var random = new Random(options.Seed ^ 0x5A17);
        var chosen = new bool[userCount];
        for (var x = 0; x < options.HoldoutMaxUsers; x++)
        {
            var pick = x + random.Next(eligible.Count - x);
            (eligible[x], eligible[pick]) = (eligible[pick], eligible[x]);
            chosen[eligible[x]] = true;
        }

        return chosen;
    }

    private static PromotionDecision Promotion(
        TrainingInput input,
        TrainingOptions options,
        CohortAwareRecommender selection,
        SparseMatrix train,
        SparseMatrix holdout,
        int[] groups,
        SegmentationModel segmentation,
        FeatureMatrix features,
        TrainingLog log,
        List<CohortModelReport> reports,
        RankedServing ranked,
        CancellationToken cancellationToken)
    {
        if (input.Active is not { } active)
        {
            return PromotionDecision.NoActive;
        }

        var scores = PromotionEvidence.Measure(selection, train, holdout, groups, segmentation, features, log.UserIds, log.ItemIds, active, options.Cohorts.K, cancellationToken, ranked);
        // Gated: every cohort the candidate serves with a model of its own, its adapted weights or its learned ranker.
        var adapted = new HashSet<int>();
        foreach (var r in reports)
        {
            if (r.Adapted || (ranked.Candidate?.Ranker?.ServesCohort(r.CohortId) ?? false))
            {
                adapted.Add(r.CohortId);
            }
        }

        return PromotionGate.Decide(scores, adapted, options.PromotionTolerance, options.PromotionMinUsers);
    }

    private static List<CohortSignal> FitSignals(TrainingData data, TrainingOptions options, bool content, StageClock stages, CancellationToken cancellationToken)
    {
        // Each model draws from its own seeded stream, so the refit on all positives repeats the same initialisation.
        var ials = new IalsRecommender(new IalsOptions
        {
            Factors = options.Factors,
            Iterations = options.IalsIterations,
            Regularization = options.IalsRegularization,
            Alpha = options.IalsAlpha,
        });
        ials.Fit(data, new Random(options.Seed + 1), cancellationToken);
        stages.Within(0.6);
        var knn = new ItemKnnRecommender(new ItemKnnOptions
        {
            Neighbors = options.KnnNeighbors,
            Shrinkage = options.KnnShrinkage,
            Asymmetry = options.KnnAsymmetry,
            InverseUserFrequency = options.KnnInverseUserFrequency,
        });
        knn.Fit(data, new Random(options.Seed + 2), cancellationToken);
        stages.Within(0.9);
        var popularity = new PopularityRecommender();
        popularity.Fit(data, new Random(options.Seed + 3), cancellationToken);
        var signals = new List<CohortSignal>
        {
            new("ials", ials, options.IalsWeight),
            new("itemknn", knn, options.KnnWeight),
            new("popularity", popularity, options.PopularityWeight),
        };
        if (content)
        {
            var model = new ContentRecommender();
            model.Fit(data, new Random(options.Seed + 4), cancellationToken);
            signals.Add(new CohortSignal("content", model, options.ContentWeight));
        }

        if (EaseSignal.InRun(options, data.ItemCount))
        {
            // Last, so the other signals keep their places in every weight vector; the same neighbour-list model as
            // item-kNN, so serving scores it with item-kNN's code.
            var ease = new ItemKnnRecommender(EaseSignal.Options(options, options.EaseRegularization));
            ease.Fit(data, new Random(options.Seed + 5), cancellationToken);
            signals.Add(new CohortSignal(EaseSignal.Name, ease, options.EaseWeight));
        }

        return signals;
    }

    /// <summary>The holdout users the ranker learns from and is compared on: their profile at training time and main device.</summary>
    private static List<RankerUser> RankerUsers(TrainingLog log, SparseMatrix holdout, ReplayedUsers replayed, int[] userCohorts)
    {
        var users = new List<RankerUser>();
        for (var u = 0; u < holdout.Rows; u++)
        {
            if (holdout.RowLength(u) > 0)
            {
                users.Add(new RankerUser(u, log.UserIds[u], userCohorts[u], replayed.Features.ReadRow(u).ToArray(), replayed.Devices[u]));
            }
        }

        return users;
    }

    private static IRecommender? Find(List<CohortSignal> signals, string name)
    {
        foreach (var s in signals)
        {
            if (s.Name == name)
            {
                return s.Model;
            }
        }

        return null;
    }

    /// <summary>
    /// The feature reference the drift monitor compares the live sample with: not every user in the log but the users
    /// the live sample would hold — active within the window before the log's newest event, measured as the silos
    /// record them (<see cref="Drift.ActivePopulation"/>, the same rule the monitor applies to the live sample). The
    /// cohort-share reference is those same rows assigned to the version's cohorts.
    /// </summary>
    private static SegmentationVersion DriftReference(SegmentationVersion version, ReplayedUsers replayed, TimeSpan window)
    {
        var (rows, lastSeen) = replayed.DriftCandidates();
        var active = Drift.ActivePopulation.Describe(rows, lastSeen, ProfileFeatures.Names, window, version.Model);
        return version with
        {
            FeatureReference = active.Features,
            FeatureReferenceWindow = window,
            ActiveCohortCounts = active.CohortCounts,
        };
    }

    private static List<CohortModelReport> Reports(CohortAwareRecommender selection, SegmentationModel segmentation, int[] groupSizes, HoldoutMetrics metrics)
    {
        var names = selection.WeightNames;
        var reports = new List<CohortModelReport>(groupSizes.Length);
        for (var g = 0; g < groupSizes.Length; g++)
        {
            // A centroid that no user is nearest to has no decision: it is served by the global weights.
            var decision = g < selection.Decisions.Count
                ? selection.Decisions[g]
                : new CohortDecision(g, 0, false, GlobalWeights(selection), 0, 0, 0, 0);
            var weights = new Dictionary<string, float>(names.Count, StringComparer.Ordinal);
            for (var s = 0; s < names.Count; s++)
            {
                weights[names[s]] = decision.Weights[s];
            }

            reports.Add(new CohortModelReport(
                segmentation.CohortIds[g],
                segmentation.Labels[g],
                groupSizes[g],
                metrics.Users[g],
                decision.Adapted,
                metrics.Global[g],
                metrics.Served[g],
                decision.OutOfFoldGain,
                weights));
        }

        return reports;
    }

    private static float[] GlobalWeights(CohortAwareRecommender model)
    {
        var weights = new float[model.Signals.Count + 1];
        for (var s = 0; s < model.Signals.Count; s++)
        {
            weights[s] = model.Signals[s].GlobalWeight;
        }

        return weights;
    }

    private static ContextStatistics FitContext(TrainingLog log)
    {
        // Usage context: every event except the negative ones (dismissals).
        // Counted first, so each column is one exact array (lists grown to the log's size and copied held twice).
        var count = 0;
        for (var k = 0; k < log.EventCount; k++)
        {
            count += EventTypes.Of(log.Type(k)).Polarity == Polarity.Negative ? 0 : 1;
        }

        var items = new int[count];
        var devices = new string?[count];
        var contexts = new IReadOnlyDictionary<string, string>?[count];
        var times = new long[count];
        var n = 0;
        for (var k = 0; k < log.EventCount; k++)
        {
            if (EventTypes.Of(log.Type(k)).Polarity == Polarity.Negative)
            {
                continue;
            }

            items[n] = log.EventItems[k];
            devices[n] = log.Device(k);
            contexts[n] = log.Context(k);
            times[n] = log.EventTimes[k];
            n++;
        }

        return ContextStatistics.Fit(log.ItemIds.Length, items, devices, times, contexts, new ContextStatisticsOptions());
    }

    private static ProvisionalCohortModel FitProvisional(IReadOnlyList<UserAttributes>? attributes, TrainingLog log, ReplayedUsers replayed, int[] groups, SegmentationModel segmentation)
    {
        // Latest wins: a later entry for the same user replaces an earlier one; examples go in user order.
        var byUser = new SortedDictionary<int, IReadOnlyDictionary<string, string>>();
        var userIndex = log.Catalog.Users;
        foreach (var a in attributes ?? [])
        {
            if (a?.Attributes is { Count: > 0 } && userIndex.IndexOf(a.UserId) is var u && u >= 0)
            {
                byUser[u] = a.Attributes;
            }
        }

        // Every trained user is an example: the prior is the cohort sizes and the device likelihood is learned from
        // everyone, so a visitor with no attributes (or none the model knows) still gets a cohort from context.
        var none = new Dictionary<string, string>();
        var examples = new List<ProvisionalExample>(replayed.Count);
        for (var u = 0; u < replayed.Count; u++)
        {
            var attrs = byUser.TryGetValue(u, out var known) ? known : none;
            examples.Add(new ProvisionalExample(attrs, replayed.Devices[u], segmentation.CohortIds[groups[u]]) { Context = replayed.MainContexts[u] });
        }

        return ProvisionalCohortModel.Fit(examples);
    }

    /// <summary>Reports stage starts with a monotone overall fraction, checks cancellation, and times every stage.</summary>
    private sealed class StageClock(IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        private readonly List<StageTiming> _timings = [];
        private readonly Stopwatch _watch = new();
        private string? _current;
        private double _done;

        public void Begin(string stage)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Close();
            _current = stage;
            _watch.Restart();
            progress?.Report(new TrainingProgress(stage, _done));
        }

        /// <summary>Reports progress inside the current stage (0..1 of its share); never moves backwards.</summary>
        public void Within(double part)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var (name, share) in Stages)
            {
                if (name == _current)
                {
                    progress?.Report(new TrainingProgress(name, Math.Min(1.0, _done + (share * Math.Clamp(part, 0, 1)))));
                }
            }
        }

        public List<StageTiming> Finish()
        {
            cancellationToken.ThrowIfCancellationRequested();
            var last = _current;
            Close();
            progress?.Report(new TrainingProgress(last ?? "packaging", 1.0));
            return _timings;
        }

        private void Close()
        {
            if (_current is null)
            {
                return;
            }

            _timings.Add(new StageTiming(_current, _watch.Elapsed.TotalSeconds));
            foreach (var (name, share) in Stages)
            {
                if (name == _current)
                {
                    _done = Math.Min(1.0, _done + share);
                }
            }

            _current = null;
        }
    }
}

/// <summary>NDCG@k on the holdout, per group and overall, for the served (cohort) weights and the global backbone.</summary>
internal sealed record HoldoutMetrics(int[] Users, double[] Global, double[] Served, double OverallGlobal, double OverallServed)
{
    public static HoldoutMetrics Measure(CohortAwareRecommender model, SparseMatrix train, SparseMatrix holdout, int[] groups, int groupCount, int k, CancellationToken cancellationToken)
    {
        var users = new List<int>();
        for (var u = 0; u < holdout.Rows; u++)
        {
            if (holdout.RowLength(u) > 0 && groups[u] >= 0)
            {
                users.Add(u);
            }
        }

        var (perGlobal, perServed) = PairedNdcg.PerUser(model.GlobalOnly(), model, train, holdout, users, k, cancellationToken);

        var count = new int[groupCount];
        var sumGlobal = new double[groupCount];
        var sumServed = new double[groupCount];
        double allGlobal = 0, allServed = 0;
        for (var x = 0; x < users.Count; x++)
        {
            var g = groups[users[x]];
            count[g]++;
            sumGlobal[g] += perGlobal[x];
            sumServed[g] += perServed[x];
            allGlobal += perGlobal[x];
            allServed += perServed[x];
        }

        for (var g = 0; g < groupCount; g++)
        {
            if (count[g] > 0)
            {
                sumGlobal[g] /= count[g];
                sumServed[g] /= count[g];
            }
        }

        var total = Math.Max(1, users.Count);
        return new HoldoutMetrics(count, sumGlobal, sumServed, allGlobal / total, allServed / total);
    }
}
