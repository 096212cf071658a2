using System.Diagnostics;
using System.Globalization;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Training;

/// <summary>One configuration the tuner trained: its family, parameters, validation NDCG@k and fit seconds.</summary>
public sealed record TuningTrial(string Family, string Parameters, double Ndcg, double Seconds);

/// <summary>
/// What a run's self-tuning chose and why: the configuration before and after (parameter names of
/// <see cref="ModelGrids"/>, prefixed by family), both scored on the tuning split, every configuration tried, and
/// whether a limit stopped the search (<c>budget</c>: deterministic; <c>cap</c>: the wall clock fired).
/// </summary>
/// <param name="TrainUsers">
/// Users of the data the configurations were fitted on (the tuning split's training side): every user of the run's
/// training part, or the seeded sample of <see cref="TrainingTuningOptions.MaxFitUsers"/> users, which
/// <see cref="Reason"/> then names with the number it was drawn from. No field of its own: that would change the
/// bundle format, and every bundle's bytes with it, for what this number and the reason already carry.
/// </param>
public sealed record TuningReport(
    bool Enabled,
    string Reason,
    int Budget,
    int TrainUsers,
    int ValidationUsers,
    double DefaultNdcg,
    double ChosenNdcg,
    IReadOnlyDictionary<string, double> Defaults,
    IReadOnlyDictionary<string, double> Chosen,
    IReadOnlyList<TuningTrial> Trials,
    string? Stopped,
    double Seconds)
{
    /// <summary>The same report with every duration zeroed: what two runs of the same log and seed must agree on.</summary>
    public TuningReport WithoutTimings()
    {
        var trials = new TuningTrial[Trials.Count];
        for (var k = 0; k < trials.Length; k++)
        {
            trials[k] = Trials[k] with { Seconds = 0 };
        }

        return this with { Trials = trials, Seconds = 0 };
    }

    public static TuningReport Disabled(TrainingOptions options) => new(false, "tuning disabled (Cohortly:Training:Tuning:Enabled)", 0, 0, 0, double.NaN, double.NaN, TrainingTuner.Configuration(options), TrainingTuner.Configuration(options), [], null, 0);
}

/// <summary>
/// Training's self-tuning: before the backbone is fitted, the run takes its training part — or, above
/// <see cref="TrainingTuningOptions.MaxFitUsers"/> users, a seeded sample of that many whole users
/// (<see cref="TuningSample"/>) — and splits it once more (the same seeded per-user holdout as the run's own,
/// <see cref="TrainingPipeline.Holdout"/>, with its own seed and user bound), searches item-kNN, then iALS, then the
/// blend weights of the two with <see cref="CoordinateSearch"/> over the grids of <see cref="ModelGrids"/> starting
/// from the configured values, and returns the options with the winner. The run's own holdout (cohort selection,
/// metrics, the promotion gate) is never seen here, so the gate still compares the tuned candidate on users and items
/// it was not tuned on; the run then fits the chosen configuration on its whole training part and refits it on
/// everything, as before.
/// </summary>
public static class TrainingTuner
{
    /// <summary>Seed offset of the tuning split: a different draw from the run's holdout.</summary>
    private const int SplitSeed = 0x7A5E;

    /// <summary>Seed offset of the fit sample (<see cref="TrainingTuningOptions.MaxFitUsers"/>): its own draw.</summary>
    private const int FitSampleSeed = 0x5F17;

    /// <summary>The served popularity signal's name, as the scorer and the blend weight axis call it.</summary>
    private const string PopularitySignal = "popularity";

    /// <summary>Hyper-parameters and weights the tuner can change, as the options hold them (family-prefixed grid names).</summary>
    public static SortedDictionary<string, double> Configuration(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["itemknn.k"] = options.KnnNeighbors,
            ["itemknn.shrink"] = Exact(options.KnnShrinkage),
            ["itemknn.asym"] = Exact(options.KnnAsymmetry),
            ["itemknn.iuf"] = options.KnnInverseUserFrequency ? 1 : 0,
            ["ease.lambda"] = Exact(options.EaseRegularization),
            ["ials.reg"] = Exact(options.IalsRegularization),
            ["ials.alpha"] = Exact(options.IalsAlpha),
            ["blend.w_ials"] = Exact(options.IalsWeight),
            ["blend.w_itemknn"] = Exact(options.KnnWeight),
            ["blend.w_ease"] = Exact(options.EaseWeight),
            ["blend.w_popularity"] = Exact(options.PopularityWeight),
        };
    }

    /// <summary>The decimal a setting was written as (0.1f is 0.1, not 0.100000001490116), so it meets the grid's 0.1.</summary>
    private static double Exact(float value) => double.Parse(value.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <param name="train">The run's training part (its holdout already removed).</param>
    /// <param name="time">The wall clock the cap is measured on.</param>
    public static (TrainingOptions Options, TuningReport Report) Tune(InteractionDataset train, TrainingOptions options, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var settings = options.Tuning;
        var defaults = Configuration(options);
        if (!settings.Enabled)
        {
            return (options, TuningReport.Disabled(options));
        }

        var watch = Stopwatch.StartNew();
        var started = time.GetUtcNow();
        // Above MaxFitUsers every configuration is fitted on a seeded sample of whole users over the whole item catalog
        // (what transfers and why nothing is rescaled: TrainingTuningOptions.MaxFitUsers); below it, on the training part.
        var sample = TuningSample.Draw(train, settings.MaxFitUsers, options.Seed ^ FitSampleSeed);
        var sampleNote = sample.Sampled
            ? string.Create(CultureInfo.InvariantCulture, $"; fitted on a seeded sample of {sample.Users} of {sample.Of} users (Tuning:MaxFitUsers {settings.MaxFitUsers})")
            : "";
        var (inner, validation) = TrainingPipeline.Holdout(sample.Data, options with { Seed = options.Seed ^ SplitSeed, HoldoutMaxUsers = settings.MaxUsers });
        var validationUsers = 0;
        for (var u = 0; u < validation.Rows; u++)
        {
            validationUsers += validation.RowLength(u) > 0 ? 1 : 0;
        }

        if (validationUsers == 0)
        {
            return (options, new TuningReport(true, $"no user has {options.HoldoutMinPositives} training positives: nothing to validate on, configured values kept{sampleNote}", settings.Budget, sample.Data.UserCount, 0, double.NaN, double.NaN, defaults, defaults, [], null, watch.Elapsed.TotalSeconds));
        }

        var data = new TrainingData(inner);
        var k = options.Cohorts.K;
        var evaluator = new RankingEvaluator(data.UserItems, validation, data.UserItems, new RankingEvaluatorOptions { K = k, ComputeBeyondAccuracy = false });
        var trials = new List<TuningTrial>();
        var remaining = settings.Budget;
        SearchStop? stopped = null;
        bool Capped() => time.GetUtcNow() - started >= settings.Cap;

        SearchResult Search(TunableModel model, int laterPass, out IRecommender startModel)
        {
            // Each family gets a share of what is left in proportion to one coordinate pass over its axes (later
            // families' passes reserved), so a budget of one pass completes it and an early family that converges
            // hands its rest on.
            var pass = OnePass(model);
            var share = Math.Max(1, (int)((long)remaining * pass / (pass + laterPass)));
            IRecommender? first = null;
            var capture = model with
            {
                Create = p =>
                {
                    var created = model.Create(p);
                    first ??= created;
                    return created;
                },
            };
            var search = new CoordinateSearch(data, evaluator, options.Seed, maxPasses: 2) { MaxTrials = share, ShouldStop = Capped };
            var result = search.Run(capture, t => trials.Add(new TuningTrial(model.Name, CoordinateSearch.Format(t.Parameters), t.Objective, t.TrainSeconds)), cancellationToken);
            remaining = Math.Max(0, remaining - result.Trials.Count);
            if (result.Stopped is { } s && (stopped is null || s == SearchStop.Cap))
            {
                stopped = s;
            }

            startModel = first!;
            return result;
        }

        // Families in cost order: item-kNN is cheap and sets the baseline blend's other half before iALS is searched.
        var knnGrid = ModelGrids.ItemKnn(data.ItemCount, settings.MaxNeighborEntries);
        var ialsGrid = ModelGrids.Ials(options.Factors);
        var ialsModel = ialsGrid with
        {
            // Factors and iterations stay as configured: they set serving memory and the run's time, not only accuracy;
            // ν has no setting in the served model.
            Axes = [.. ialsGrid.Axes.Where(a => a.Name is "reg" or "alpha")],
            Start = new Dictionary<string, double>
            {
                ["reg"] = defaults["ials.reg"],
                ["alpha"] = defaults["ials.alpha"],
                ["factors"] = options.Factors,
                ["iterations"] = options.IalsIterations,
                ["nu"] = 0,
            },
        };
        // EASE is a third signal, searched only where its dense solve is affordable; the blend search then weighs it
        // with the other two (0 leaves it out of the served model, and out of serving's cost).
        var easeModel = EaseSignal.Fits(options, data.ItemCount) ? EaseModel(options) : null;
        // Global popularity is a served signal too (0 by default): on logs where what everybody takes now says more than
        // a user's history (a temporal cut, a catalog with a strong head), the blend must be able to weigh it in.
        var popularity = new PopularityRecommender();
        popularity.Fit(data, new Random(options.Seed + 3), cancellationToken);
        List<ParameterAxis> blendAxes = [ModelGrids.BlendWeight("ials"), ModelGrids.BlendWeight("itemknn"), ModelGrids.BlendWeight(PopularitySignal)];
        if (easeModel is not null)
        {
            blendAxes.Add(ModelGrids.BlendWeight(EaseSignal.Name));
        }

        var blendPass = 1;
        foreach (var axis in blendAxes)
        {
            blendPass += axis.Values.Count - 1;
        }

        var easePass = easeModel is null ? 0 : OnePass(easeModel);
        var knn = Search(knnGrid with { Start = Prefixless(defaults, "itemknn.") }, easePass + OnePass(ialsModel) + blendPass, out var defaultKnn);
        IRecommender? defaultEase = null;
        var ease = easeModel is null ? null : Search(easeModel, OnePass(ialsModel) + blendPass, out defaultEase);
        var ials = Search(ialsModel, blendPass, out var defaultIals);

        var defaultBlend = Blend(defaultIals, options.IalsWeight, defaultKnn, options.KnnWeight, defaultEase, EaseSignal.InRun(options, data.ItemCount) ? options.EaseWeight : 0, popularity, options.PopularityWeight);
        var defaultNdcg = evaluator.Evaluate(defaultBlend, cancellationToken).Overall.Ndcg;
        var tunedIals = ials.BestModel;
        var tunedKnn = knn.BestModel;
        var tunedEase = ease?.BestModel;
        var blendStart = new Dictionary<string, double> { ["w_ials"] = defaults["blend.w_ials"], ["w_itemknn"] = defaults["blend.w_itemknn"], ["w_popularity"] = defaults["blend.w_popularity"] };
        if (easeModel is not null)
        {
            blendStart["w_ease"] = defaults["blend.w_ease"];
        }

        var blend = Search(
            new TunableModel(
                "blend",
                blendAxes,
                blendStart,
                p => Blend(tunedIals, (float)p["w_ials"], tunedKnn, (float)p["w_itemknn"], tunedEase, p.TryGetValue("w_ease", out var e) ? (float)e : 0, popularity, (float)p["w_popularity"])),
            0,
            out _);

        var chosen = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, value) in knn.Best.Parameters)
        {
            chosen["itemknn." + name] = value;
        }

        chosen["ials.reg"] = ials.Best.Parameters["reg"];
        chosen["ials.alpha"] = ials.Best.Parameters["alpha"];
        chosen["blend.w_ials"] = blend.Best.Parameters["w_ials"];
        chosen["blend.w_itemknn"] = blend.Best.Parameters["w_itemknn"];
        chosen["blend.w_ease"] = blend.Best.Parameters.TryGetValue("w_ease", out var easeWeight) ? easeWeight : defaults["blend.w_ease"];
        chosen["blend.w_popularity"] = blend.Best.Parameters["w_popularity"];
        chosen["ease.lambda"] = ease?.Best.Parameters["lambda"] ?? defaults["ease.lambda"];
        var chosenNdcg = blend.Best.Objective;
        IRecommender chosenModel = blend.BestModel;
        var easeNote = "";
        if (chosen["blend.w_ease"] > 0)
        {
            // EASE costs serving a third signal, so it must earn its place on its own: the best blend with it must beat
            // the best blend without it by the same rule, or it is left out.
            var without = BestWithoutEase(blend, chosen);
            var withoutModel = Blend(tunedIals, (float)without["w_ials"], tunedKnn, (float)without["w_itemknn"], null, 0, popularity, (float)without["w_popularity"]);
            var (easeGain, easeError) = PairedGain(blend.BestModel, withoutModel, data.UserItems, validation, k, cancellationToken);
            if (!(easeGain > settings.MinGainStandardErrors * easeError) || !(easeGain > 0))
            {
                chosen["blend.w_ials"] = without["w_ials"];
                chosen["blend.w_itemknn"] = without["w_itemknn"];
                chosen["blend.w_popularity"] = without["w_popularity"];
                chosen["blend.w_ease"] = 0;
                chosenModel = withoutModel;
                chosenNdcg = evaluator.Evaluate(withoutModel, cancellationToken).Overall.Ndcg;
                easeNote = string.Create(CultureInfo.InvariantCulture, $"; EASE left out (gain {easeGain:+0.0000;-0.0000} ± {easeError:F4} over the best blend without it)");
            }
            else
            {
                easeNote = string.Create(CultureInfo.InvariantCulture, $"; EASE in the blend (gain {easeGain:+0.0000;-0.0000} ± {easeError:F4} over the best blend without it)");
            }
        }

        var stop = stopped switch
        {
            SearchStop.Budget => "budget",
            SearchStop.Cap => "cap",
            _ => null,
        };
        var tried = $"{trials.Count} configurations on {validationUsers} validation users{sampleNote}"
            + (easeModel is null ? string.Create(CultureInfo.InvariantCulture, $"; EASE not tried ({data.ItemCount} items > EaseMaxItems {options.EaseMaxItems})") : easeNote);
        var (gain, standardError) = PairedGain(chosenModel, defaultBlend, data.UserItems, validation, k, cancellationToken);
        var noWeight = chosen["blend.w_ials"] == 0 && chosen["blend.w_itemknn"] == 0 && chosen["blend.w_ease"] == 0 && chosen["blend.w_popularity"] == 0 && options.ContentWeight == 0;
        if (!(gain > settings.MinGainStandardErrors * standardError) || !(gain > 0) || noWeight)
        {
            // The best of many configurations scored on one split is optimistic by selection: a gain within noise keeps
            // the configured values (the families were also chosen one after another, so the combination is checked whole).
            return (options, new TuningReport(true, string.Create(CultureInfo.InvariantCulture, $"configured values kept: the best combination's NDCG@{k} {chosenNdcg:F4} vs configured {defaultNdcg:F4} (gain {gain:+0.0000;-0.0000} ± {standardError:F4}) is not {settings.MinGainStandardErrors:G} standard errors better; {tried}"), settings.Budget, inner.UserCount, validationUsers, defaultNdcg, chosenNdcg, defaults, defaults, trials, stop, watch.Elapsed.TotalSeconds));
        }

        var tuned = options with
        {
            KnnNeighbors = (int)chosen["itemknn.k"],
            KnnShrinkage = (float)chosen["itemknn.shrink"],
            KnnAsymmetry = (float)chosen["itemknn.asym"],
            KnnInverseUserFrequency = chosen["itemknn.iuf"] > 0,
            IalsRegularization = (float)chosen["ials.reg"],
            IalsAlpha = (float)chosen["ials.alpha"],
            IalsWeight = (float)chosen["blend.w_ials"],
            KnnWeight = (float)chosen["blend.w_itemknn"],
            EaseWeight = (float)chosen["blend.w_ease"],
            PopularityWeight = (float)chosen["blend.w_popularity"],
            EaseRegularization = (float)chosen["ease.lambda"],
        };
        return (tuned, new TuningReport(true, string.Create(CultureInfo.InvariantCulture, $"tuned: NDCG@{k} {defaultNdcg:F4} → {chosenNdcg:F4} on the tuning split (gain {gain:+0.0000;-0.0000} ± {standardError:F4}); {tried}"), settings.Budget, inner.UserCount, validationUsers, defaultNdcg, chosenNdcg, defaults, chosen, trials, stop, watch.Elapsed.TotalSeconds));
    }

    /// <summary>Mean and standard error of the per-user NDCG@k difference (chosen − configured) over the validation users.</summary>
    private static (double Mean, double StandardError) PairedGain(IRecommender chosen, IRecommender configured, SparseMatrix train, SparseMatrix validation, int k, CancellationToken cancellationToken)
    {
        var users = new List<int>();
        for (var u = 0; u < validation.Rows; u++)
        {
            if (validation.RowLength(u) > 0)
            {
                users.Add(u);
            }
        }

        var (perChosen, perConfigured) = PairedNdcg.PerUser(chosen, configured, train, validation, users, k, cancellationToken);
        var differences = new double[users.Count];
        for (var x = 0; x < differences.Length; x++)
        {
            differences[x] = perChosen[x] - perConfigured[x];
        }

        // Summed in user order, so the result does not depend on the threads.
        double sum = 0;
        foreach (var d in differences)
        {
            sum += d;
        }

        var mean = sum / Math.Max(1, differences.Length);
        double squares = 0;
        foreach (var d in differences)
        {
            squares += (d - mean) * (d - mean);
        }

        var standardError = differences.Length > 1 ? Math.Sqrt(squares / (differences.Length - 1) / differences.Length) : double.PositiveInfinity;
        return (mean, standardError);
    }

    /// <summary>
    /// EASE's λ over <see cref="ModelGrids.EaseCoarse"/>'s grid from the configured value, fitted as it would serve: truncated
    /// to <see cref="TrainingOptions.EaseNeighbors"/> weights per item (<see cref="EaseSignal.Options"/>).
    /// </summary>
    private static TunableModel EaseModel(TrainingOptions options)
    {
        var grid = ModelGrids.EaseCoarse();
        return grid with
        {
            Start = new Dictionary<string, double> { ["lambda"] = Exact(options.EaseRegularization) },
            Create = p => new ItemKnnRecommender(EaseSignal.Options(options, (float)p["lambda"])),
        };
    }

    /// <summary>The blend weights of the best configuration the search tried without EASE, or the chosen ones with EASE's at 0.</summary>
    private static Dictionary<string, double> BestWithoutEase(SearchResult blend, IReadOnlyDictionary<string, double> chosen)
    {
        TrialResult? best = null;
        foreach (var t in blend.Trials)
        {
            if ((!t.Parameters.TryGetValue("w_ease", out var w) || w == 0) && (best is null || t.Objective > best.Objective))
            {
                best = t;
            }
        }

        return best is not null
            ? new Dictionary<string, double> { ["w_ials"] = best.Parameters["w_ials"], ["w_itemknn"] = best.Parameters["w_itemknn"], ["w_popularity"] = best.Parameters["w_popularity"] }
            : new Dictionary<string, double> { ["w_ials"] = chosen["blend.w_ials"], ["w_itemknn"] = chosen["blend.w_itemknn"], ["w_popularity"] = chosen["blend.w_popularity"] };
    }

    /// <summary>Configurations of one coordinate pass from the start: the start, then every other value of each axis.</summary>
    private static int OnePass(TunableModel model)
    {
        var n = 1;
        foreach (var axis in model.Axes)
        {
            n += axis.Values.Count - 1;
        }

        return n;
    }

    /// <summary>
    /// The tuning split's blend of the served signals. Components with no weight are left out except iALS and
    /// item-kNN (the blend the tuner always compared), so a configuration without EASE or popularity scores exactly as
    /// it did before those signals could be weighed in.
    /// </summary>
    private static BlendRecommender Blend(IRecommender ials, float ialsWeight, IRecommender knn, float knnWeight, IRecommender? ease, float easeWeight, IRecommender popularity, float popularityWeight)
    {
        var components = new List<BlendComponent>(4) { new(ials, ialsWeight), new(knn, knnWeight) };
        if (ease is not null && easeWeight != 0)
        {
            components.Add(new BlendComponent(ease, easeWeight));
        }

        if (popularityWeight != 0)
        {
            components.Add(new BlendComponent(popularity, popularityWeight));
        }

        return new BlendRecommender(components, fitComponents: false);
    }

    private static Dictionary<string, double> Prefixless(IReadOnlyDictionary<string, double> values, string prefix)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                result[name[prefix.Length..]] = value;
            }
        }

        return result;
    }
}
