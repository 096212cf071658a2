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
            // itemknn, ials and ease: the grids training's tuner searches too (one definition, ModelGrids).
            ["itemknn"] = c => ModelGrids.ItemKnn(c.Train.ItemCount),
            ["ials"] = c => ModelGrids.Ials(c.Factors),
            ["ease"] = _ => ModelGrids.Ease(),
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
    /// Standardised-score blend of the already selected ials / ease / itemknn models and, when listed, pop (list them
    /// before "blend"); only the weights are searched, on validation like everything else. Popularity starts at weight 0
    /// (the blend of the personalised models), as the served blend's global popularity does, and is weighed in where
    /// validation asks for it — on a temporal cut what everybody takes now can say more than a user's history.
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
                axes.Add(ModelGrids.BlendWeight(name));
                start["w_" + name] = 1;
            }
        }

        if (axes.Count == 0)
        {
            throw new ArgumentException("blend needs ials, ease or itemknn earlier in --models");
        }

        if (context.Fitted.ContainsKey("pop"))
        {
            axes.Add(ModelGrids.BlendWeight("pop"));
            start["w_pop"] = 0;
        }

        return new TunableModel("blend", axes, start, p =>
        {
            var components = new List<BlendComponent>();
            foreach (var (key, weight) in p)
            {
                // Popularity at weight 0 is not a component: the blend (and the cohort model built on its components)
                // is then exactly the personalised blend it was before popularity could be weighed in.
                if (key == "w_pop" && weight == 0)
                {
                    continue;
                }

                components.Add(new BlendComponent(context.Fitted[key["w_".Length..]], (float)weight));
            }

            return new BlendRecommender(components, fitComponents: false);
        });
    }
}
