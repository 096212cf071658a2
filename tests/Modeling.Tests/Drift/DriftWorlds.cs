using Cohortly.Modeling.Drift;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Statistics;

namespace Cohortly.Modeling.Tests.Drift;

/// <summary>
/// Seeded worlds for the drift simulations: cohorts' outcome minutes (impressions and clicks, responses and the ones
/// served by popularity or cold start) and users of four behaviour types with five features shaped like the profile's
/// (a skewed spend, a count with ties, a share, a mostly-zero value, a symmetric one).
/// </summary>
internal static class DriftWorlds
{
    public const int Types = 4;

    public static readonly string[] FeatureNames = ["monetary", "frequency", "category_share", "discount_share", "hour"];

    /// <summary>Binomial(n, p) by summing Bernoulli draws (n is a few hundred here, so exactness costs little).</summary>
    public static long Binomial(Random random, long n, double p)
    {
        long k = 0;
        for (long i = 0; i < n; i++)
        {
            if (random.NextDouble() < p)
            {
                k++;
            }
        }

        return k;
    }

    /// <summary>One cohort's minute: impressions uniform in [250, 500], clicks at <paramref name="ctr"/>; responses uniform in [60, 100], served by fallback at <paramref name="fallback"/>.</summary>
    public static MinuteOutcome Minute(Random random, double ctr, double fallback)
    {
        var impressions = random.Next(250, 501);
        var exposures = random.Next(60, 101);
        return new MinuteOutcome
        {
            Impressions = impressions,
            Clicks = Binomial(random, impressions, ctr),
            Exposures = exposures,
            FallbackExposures = Binomial(random, exposures, fallback),
        };
    }

    /// <summary>
    /// A user of behaviour type <paramref name="type"/>; <paramref name="spendFactor"/> multiplies their spend (the
    /// planted change of one type's behaviour).
    /// </summary>
    public static float[] User(Random random, int type, double spendFactor = 1)
    {
        var monetary = Math.Exp(3 + (0.6 * type) + (0.5 * RandomVariates.StandardNormal(random))) * spendFactor;
        var frequency = Geometric(random, 1.0 / (2 + (2 * type)));
        var share = Math.Clamp(0.2 + (0.15 * type) + (0.1 * RandomVariates.StandardNormal(random)), 0, 1);
        var discount = random.NextDouble() < 0.7 ? 0 : -Math.Log(1 - random.NextDouble()) * (type == 1 ? 0.5 : 0.1);
        var hour = (12 + (3 * (type - 1.5)) + (2 * RandomVariates.StandardNormal(random)) + 24) % 24;
        return [(float)monetary, frequency, (float)share, (float)discount, (float)hour];
    }

    /// <summary>A type drawn from the shares 40 / 30 / 20 / 10 %.</summary>
    public static int Type(Random random)
    {
        var u = random.NextDouble();
        return u < 0.4 ? 0 : u < 0.7 ? 1 : u < 0.9 ? 2 : 3;
    }

    /// <summary>
    /// The "training population" of a segmentation version: <paramref name="users"/> users, standardized centroids at
    /// each type's mean, the sampled users per cohort (cohort ids 1..4) and the feature reference, as training builds them.
    /// </summary>
    public static (SegmentationModel Model, int[] Counts, IReadOnlyList<FeatureBins> Reference) Population(Random random, int users)
    {
        var rows = new float[users][];
        var types = new int[users];
        for (var i = 0; i < users; i++)
        {
            types[i] = Type(random);
            rows[i] = User(random, types[i]);
        }

        var matrix = FeatureMatrix.FromRows(rows);
        var scaler = FeatureScaler.Fit(matrix);
        var centroids = new float[Types][];
        var members = new int[Types];
        for (var t = 0; t < Types; t++)
        {
            centroids[t] = new float[FeatureNames.Length];
        }

        var scaled = new float[FeatureNames.Length];
        for (var i = 0; i < users; i++)
        {
            scaler.Transform(rows[i], scaled);
            members[types[i]]++;
            for (var f = 0; f < scaled.Length; f++)
            {
                centroids[types[i]][f] += scaled[f];
            }
        }

        for (var t = 0; t < Types; t++)
        {
            for (var f = 0; f < FeatureNames.Length; f++)
            {
                centroids[t][f] /= Math.Max(1, members[t]);
            }
        }

        var model = new SegmentationModel(1, FeatureNames, scaler, centroids, [1, 2, 3, 4], ["a", "b", "c", "d"]);
        var counts = new int[Types];
        foreach (var row in rows)
        {
            counts[model.NearestIndex(row, out _)]++;
        }

        return (model, counts, FeatureReference.From(matrix, FeatureNames));
    }

    private static float Geometric(Random random, double p)
    {
        var n = 0;
        while (random.NextDouble() > p && n < 1000)
        {
            n++;
        }

        return n;
    }
}
