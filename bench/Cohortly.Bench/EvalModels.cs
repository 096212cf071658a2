using Cohortly.Modeling.Cohorts;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Ranking;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Bench;

/// <summary>
/// What a model family may look at when the bench builds its search space. <see cref="Fitted"/> holds the
/// validation-selected model of every family searched before (by name), for families built on top of others.
/// <see cref="ValidationItems"/> (user→validation items) is for families that select internally on validation (the
/// cohort strategy's per-cohort choice, the ranker's labels); the test part is never handed to a family.
/// </summary>
internal sealed record EvalContext(TrainingData Train, int Seed, int Factors, IReadOnlyDictionary<string, IRecommender> Fitted, SparseMatrix ValidationItems)
{
    /// <summary>Settings of the cohort strategy (the bench's --cohort-gate insample turns the out-of-fold test off).</summary>
    public CohortStrategyOptions CohortOptions { get; init; } = new();
}

/// <summary>
/// The model families <c>evaluate --models</c> can name, each with its validation search space. To add a family
/// (e.g. the cohort model: global backbone + per-cohort adaptation), add an entry returning a <see cref="TunableModel"/>;
/// its factory receives the parameter values and <see cref="EvalContext.Train"/> carries the user groups.
/// </summary>
internal static class EvalModels
{
    public const string DefaultList = "pop,itemknn,ials,ease,blend";

    public static IReadOnlyDictionary<string, Func<EvalContext, TunableModel>> All { get; } =
        new Dictionary<string, Func<EvalContext, TunableModel>>(StringComparer.OrdinalIgnoreCase)
        {
            ["pop"] = _ => new TunableModel("pop", [], new Dictionary<string, double>(), _ => new PopularityRecommender()),
            ["pop-cohort"] = _ => new TunableModel(
                "pop-cohort",
                [new ParameterAxis("prior", [1, 10, 100, 1000])],
                new Dictionary<string, double> { ["prior"] = 10 },
                p => new PopularityRecommender(new PopularityOptions { ByGroup = true, GroupPrior = (float)p["prior"] })),
            ["itemknn"] = c => new TunableModel(
                "itemknn",
                [
                    // More neighbours than items is the same model: the grid grows up to the catalog, not past it.
                    new ParameterAxis("k", [10, 20, 50, 100, 200, 400, 1000]) { ExtendOnEdge = true, Integer = true, Minimum = 1, Maximum = c.Train.ItemCount },
                    new ParameterAxis("shrink", [0, 10, 50, 100, 200, 500]),
                    new ParameterAxis("asym", [0, 0.1, 0.2, 0.3, 0.5, 0.7]),
                    new ParameterAxis("iuf", [0, 1]),
                ],
                new Dictionary<string, double> { ["k"] = 100, ["shrink"] = 10, ["asym"] = 0.5, ["iuf"] = 0 },
                p => new ItemKnnRecommender(new ItemKnnOptions
                {
                    Neighbors = (int)p["k"],
                    Shrinkage = (float)p["shrink"],
                    Asymmetry = (float)p["asym"],
                    InverseUserFrequency = p["iuf"] > 0,
                })),
            ["ials"] = c => new TunableModel(
                "ials",
                [
                    new ParameterAxis("reg", [10, 20, 25, 30, 40, 50, 75]),
                    new ParameterAxis("alpha", [1, 2, 3, 4, 5, 10]),
                    new ParameterAxis("nu", [0, 0.5, 1]),
                    new ParameterAxis("factors", [c.Factors, 128, 256]),
                    new ParameterAxis("iterations", [15, 30]),
                ],
                new Dictionary<string, double> { ["factors"] = c.Factors, ["reg"] = 30, ["alpha"] = 3, ["iterations"] = 15, ["nu"] = 0 },
                p => new IalsRecommender(new IalsOptions
                {
                    Factors = (int)p["factors"],
                    Regularization = (float)p["reg"],
                    Alpha = (float)p["alpha"],
                    Iterations = (int)p["iterations"],
                    RegularizationExponent = (float)p["nu"],
                })),
            ["ease"] = _ => new TunableModel(
                "ease",
                [new ParameterAxis("lambda", [50, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500]) { ExtendOnEdge = true }],
                new Dictionary<string, double> { ["lambda"] = 300 },
                p => new EaseRecommender(new EaseOptions { Regularization = (float)p["lambda"] })),
            ["blend"] = Blend,
            ["cohort"] = Cohort,
            ["ranker"] = Ranker,
            ["content"] = _ => new TunableModel(
                "content",
                [new ParameterAxis("title", [0, 0.5, 1])],
                new Dictionary<string, double> { ["title"] = 1 },
                p => new ContentRecommender(new ContentOptions { TitleWeight = (float)p["title"] })),
        };

    /// <summary>
    /// Cohort-aware strategy on top of the best global model: the selected blend's components and weights (or the first
    /// of ials / ease / itemknn / pop listed earlier) form the backbone; per-cohort weights and a cohort-popularity
    /// prior are searched and adopted per cohort inside <see cref="CohortAwareRecommender.Fit"/> on validation. No outer
    /// axes: its validation score is in-sample by construction, so only test counts for it.
    /// </summary>
    private static TunableModel Cohort(EvalContext context)
    {
        if (!context.Train.HasUserGroups)
        {
            throw new ArgumentException("cohort needs user groups (--cohorts profile or an attribute)");
        }

        var signals = new List<CohortSignal>();
        if (context.Fitted.TryGetValue("blend", out var fittedBlend) && fittedBlend is BlendRecommender blend)
        {
            foreach (var c in blend.Components)
            {
                signals.Add(new CohortSignal(NameOf(context, c.Model), c.Model, c.Weight));
            }
        }
        else
        {
            foreach (var name in new[] { "ials", "ease", "itemknn", "pop" })
            {
                if (context.Fitted.TryGetValue(name, out var model))
                {
                    signals.Add(new CohortSignal(name, model, 1));
                    break;
                }
            }
        }

        if (signals.Count == 0)
        {
            throw new ArgumentException("cohort needs blend, ials, ease, itemknn or pop earlier in --models");
        }

        return new TunableModel("cohort", [], new Dictionary<string, double>(), _ =>
            new CohortAwareRecommender(signals, context.ValidationItems, context.CohortOptions));
    }

    /// <summary>
    /// LambdaMART over the already selected blend / ials / ease / itemknn (candidates + features; popularity and, with user
    /// groups, cohort popularity are added inside). Generators are fitted on train; the ranker learns from the
    /// validation items of 80% of the validation users and stops early on the other 20%. Its printed validation NDCG
    /// is therefore mostly in-sample; only its test NDCG compares with the other rows.
    /// </summary>
    private static TunableModel Ranker(EvalContext context)
    {
        var generators = new List<CandidateGenerator>();
        foreach (var name in new[] { "blend", "ials", "ease", "itemknn" })
        {
            if (context.Fitted.TryGetValue(name, out var model))
            {
                generators.Add(new CandidateGenerator(name, model));
            }
        }

        if (generators.Count == 0)
        {
            throw new ArgumentException("ranker needs blend, ials, ease or itemknn earlier in --models");
        }

        return new TunableModel("ranker", [], new Dictionary<string, double>(), _ =>
            new LambdaMartRanker(generators, context.ValidationItems, new RankerOptions { Seed = context.Seed }));
    }

    private static string NameOf(EvalContext context, IRecommender model)
    {
        foreach (var (name, fitted) in context.Fitted)
        {
            if (ReferenceEquals(fitted, model))
            {
                return name;
            }
        }

        return model.Kind;
    }

    /// <summary>
    /// Standardised-score blend of the already selected ials / ease / itemknn models (list them before "blend");
    /// only the weights are searched, on validation like everything else.
    /// </summary>
    private static TunableModel Blend(EvalContext context)
    {
        string[] names = ["ials", "ease", "itemknn"];
        var axes = new List<ParameterAxis>();
        var start = new Dictionary<string, double>();
        foreach (var name in names)
        {
            if (context.Fitted.ContainsKey(name))
            {
                axes.Add(new ParameterAxis("w_" + name, [0, 0.25, 0.5, 1]));
                start["w_" + name] = 1;
            }
        }

        if (axes.Count == 0)
        {
            throw new ArgumentException("blend needs ials, ease or itemknn earlier in --models");
        }

        return new TunableModel("blend", axes, start, p =>
        {
            var components = new List<BlendComponent>();
            foreach (var (key, weight) in p)
            {
                components.Add(new BlendComponent(context.Fitted[key["w_".Length..]], (float)weight));
            }

            return new BlendRecommender(components, fitComponents: false);
        });
    }
}
