using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Evaluation;

/// <summary>
/// The one definition of the validation search space of each tunable model family: the bench's <c>evaluate</c> searches
/// these grids from its own start points, and training's tuner (<see cref="Training.TrainingTuner"/>) searches the
/// same axes from the configured defaults. Parameter names are the keys of <see cref="TunableModel.Start"/>.
/// </summary>
public static class ModelGrids
{
    /// <summary>Values a blend weight takes (standardized scores are summed with these weights).</summary>
    public static IReadOnlyList<double> BlendWeights { get; } = [0, 0.25, 0.5, 1];

    /// <summary>
    /// Item-kNN: neighbours k (grows past its edges, up to the catalog and at most <paramref name="maxNeighborEntries"/>
    /// / items, so a fitted model keeps at most that many (item, weight) entries), shrinkage, asymmetry, inverse user
    /// frequency (0/1).
    /// </summary>
    public static TunableModel ItemKnn(int itemCount, long maxNeighborEntries = long.MaxValue) => new(
        "itemknn",
        [
            // More neighbours than items is the same model: the grid grows up to the catalog, not past it; and never past
            // the entry bound, which is what keeps a model over a large catalog inside memory (k × items × 8 bytes).
            KnnNeighborsAxis(MaxNeighbors(itemCount, maxNeighborEntries)),
            new ParameterAxis("shrink", [0, 10, 50, 100, 200, 500]),
            new ParameterAxis("asym", [0, 0.1, 0.2, 0.3, 0.5, 0.7]),
            new ParameterAxis("iuf", [0, 1]),
        ],
        new Dictionary<string, double> { ["k"] = 100, ["shrink"] = 10, ["asym"] = 0.5, ["iuf"] = 0 },
        p => new ItemKnnRecommender(KnnOptions(p)));

    /// <summary>The largest k the grid may try: the catalog (less the item itself), and no more than the entry bound allows.</summary>
    public static int MaxNeighbors(int itemCount, long maxNeighborEntries)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxNeighborEntries);
        var items = Math.Max(1, itemCount);
        return (int)Math.Max(1, Math.Min(items, maxNeighborEntries / items));
    }

    private static ParameterAxis KnnNeighborsAxis(int maxK)
    {
        double[] grid = [10, 20, 50, 100, 200, 400, 1000];
        var values = new List<double>(grid.Length);
        foreach (var v in grid)
        {
            if (v <= maxK)
            {
                values.Add(v);
            }
        }

        if (values.Count == 0 || values[^1] < maxK && values.Count < grid.Length)
        {
            // The bound falls inside the grid: its own value closes the axis, so the search can still reach it.
            values.Add(maxK);
        }

        return new ParameterAxis("k", values) { ExtendOnEdge = true, Integer = true, Minimum = 1, Maximum = maxK };
    }

    /// <summary>iALS: regularization, confidence α, frequency-scaled regularization ν, factors, iterations.</summary>
    public static TunableModel Ials(int factors) => new(
        "ials",
        [
            new ParameterAxis("reg", [10, 20, 25, 30, 40, 50, 75]),
            new ParameterAxis("alpha", [1, 2, 3, 4, 5, 10]),
            new ParameterAxis("nu", [0, 0.5, 1]),
            new ParameterAxis("factors", [factors, 128, 256]),
            new ParameterAxis("iterations", [15, 30]),
        ],
        new Dictionary<string, double> { ["factors"] = factors, ["reg"] = 30, ["alpha"] = 3, ["iterations"] = 15, ["nu"] = 0 },
        p => new IalsRecommender(IalsOptions(p)));

    /// <summary>EASE: the L2 penalty λ (grows past its edges).</summary>
    public static TunableModel Ease() => new(
        "ease",
        [new ParameterAxis("lambda", [50, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500]) { ExtendOnEdge = true }],
        new Dictionary<string, double> { ["lambda"] = 300 },
        p => new EaseRecommender(new EaseOptions { Regularization = (float)p["lambda"] }));

    /// <summary>
    /// EASE's λ for training's tuner: every other value of <see cref="Ease"/>'s grid, growing past its edges the same
    /// way. Each λ is a dense n³ solve, so the tuner tries five instead of eleven (one coordinate pass of the full grid
    /// made the tuned run 1.5× the untuned one on ML-100K; benchmarks-modeling.md).
    /// </summary>
    public static TunableModel EaseCoarse() => Ease() with
    {
        Axes = [new ParameterAxis("lambda", [100, 200, 300, 500, 1000]) { ExtendOnEdge = true }],
    };

    /// <summary>The axis of one component's weight in a blend (named <c>w_</c> + the component's family).</summary>
    public static ParameterAxis BlendWeight(string component) => new("w_" + component, BlendWeights);

    /// <summary>Item-kNN settings from the grid's parameter names.</summary>
    public static ItemKnnOptions KnnOptions(IReadOnlyDictionary<string, double> p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new ItemKnnOptions
        {
            Neighbors = (int)p["k"],
            Shrinkage = (float)p["shrink"],
            Asymmetry = (float)p["asym"],
            InverseUserFrequency = p["iuf"] > 0,
        };
    }

    /// <summary>iALS settings from the grid's parameter names.</summary>
    public static IalsOptions IalsOptions(IReadOnlyDictionary<string, double> p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new IalsOptions
        {
            Factors = (int)p["factors"],
            Regularization = (float)p["reg"],
            Alpha = (float)p["alpha"],
            Iterations = (int)p["iterations"],
            RegularizationExponent = (float)p["nu"],
        };
    }
}
