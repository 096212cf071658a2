namespace Cohortly.Modeling.Statistics;

/// <summary>
/// Draws from standard distributions using only the <see cref="Random"/> passed in, so every
/// caller stays reproducible under a seed.
/// </summary>
public static class RandomVariates
{
    /// <summary>A standard normal draw (Marsaglia's polar method; the spare value is discarded to stay stateless).</summary>
    public static double StandardNormal(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        while (true)
        {
            var u = (2 * random.NextDouble()) - 1;
            var v = (2 * random.NextDouble()) - 1;
            var s = (u * u) + (v * v);
            if (s > 0 && s < 1)
            {
                return u * Math.Sqrt(-2 * Math.Log(s) / s);
            }
        }
    }

    /// <summary>A Gamma(shape, scale 1) draw by Marsaglia and Tsang's squeeze method.</summary>
    public static double Gamma(Random random, double shape)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (!(shape > 0) || double.IsInfinity(shape))
        {
            throw new ArgumentOutOfRangeException(nameof(shape), shape, "Shape must be positive and finite.");
        }

        if (shape < 1)
        {
            // The method needs shape ≥ 1; Gamma(a) = Gamma(a + 1) · U^(1/a) covers the rest.
            // U comes from (0, 1] so its logarithm is finite.
            var u = 1 - random.NextDouble();
            return Gamma(random, shape + 1) * Math.Exp(Math.Log(u) / shape);
        }

        var d = shape - (1.0 / 3);
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x;
            double v;
            do
            {
                x = StandardNormal(random);
                v = 1 + (c * x);
            }
            while (v <= 0);

            v = v * v * v;
            var u = 1 - random.NextDouble();
            var x2 = x * x;
            if (u < 1 - (0.0331 * x2 * x2))
            {
                return d * v;
            }

            if (Math.Log(u) < (0.5 * x2) + (d * (1 - v + Math.Log(v))))
            {
                return d * v;
            }
        }
    }

    /// <summary>A Beta(alpha, beta) draw as X / (X + Y) with X ~ Gamma(alpha), Y ~ Gamma(beta).</summary>
    public static double Beta(Random random, double alpha, double beta)
    {
        var x = Gamma(random, alpha);
        var y = Gamma(random, beta);
        var sum = x + y;
        // Both draws can underflow to 0 for tiny shapes; fall back to the mean-side coin.
        return sum > 0 ? x / sum : (random.NextDouble() < alpha / (alpha + beta) ? 1 : 0);
    }
}
