namespace Cohortly.Modeling.Statistics;

/// <summary>Standard normal distribution functions.</summary>
public static class NormalDistribution
{
    private static readonly double InvSqrtTwoPi = 1 / Math.Sqrt(2 * Math.PI);
    private static readonly double SqrtTwoPi = Math.Sqrt(2 * Math.PI);

    public static double Pdf(double x) => InvSqrtTwoPi * Math.Exp(-0.5 * x * x);

    /// <summary>Φ(x). Relative accuracy holds in the lower tail (Φ(−37) is still resolved).</summary>
    public static double Cdf(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        // Φ(x) = ½ erfc(−x/√2) and erfc(t) = Q(½, t²): the incomplete gamma carries both tails
        // to full relative precision, so there is no 1 − (something near 1) cancellation.
        var half = 0.5 * x * x;
        if (x < 0)
        {
            return 0.5 * SpecialFunctions.RegularizedGammaQ(0.5, half);
        }

        return 0.5 + (0.5 * SpecialFunctions.RegularizedGammaP(0.5, half));
    }

    /// <summary>Survival function 1 − Φ(x) = Φ(−x), accurate in the upper tail.</summary>
    public static double Sf(double x) => Cdf(-x);

    /// <summary>Two-sided tail probability P(|Z| ≥ |z|).</summary>
    public static double TwoSidedPValue(double z)
    {
        if (double.IsNaN(z))
        {
            return double.NaN;
        }

        return Math.Min(1, 2 * Cdf(-Math.Abs(z)));
    }

    /// <summary>Φ⁻¹(p) for p in (0, 1); ±∞ at the ends.</summary>
    public static double InverseCdf(double p)
    {
        if (double.IsNaN(p) || p < 0 || p > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "Probability must be in [0, 1].");
        }

        if (p == 0)
        {
            return double.NegativeInfinity;
        }

        if (p == 1)
        {
            return double.PositiveInfinity;
        }

        if (p == 0.5)
        {
            return 0;
        }

        // Solve in the lower tail and mirror, so the target is never a number close to 1.
        var lower = Math.Min(p, 1 - p);
        var x = InitialLowerTailGuess(lower);

        // Halley's method on Φ(x) − p converges cubically from this start; a handful of steps
        // reaches double precision everywhere, and the bound protects against pathological input.
        for (var i = 0; i < 50; i++)
        {
            // u = (Φ(x) − p) / φ(x), formed as a relative error times p/φ(x) in log space: e^{x²/2}
            // alone overflows for p below about 1e-308, while p/φ(x) stays moderate.
            var relativeError = (Cdf(x) / lower) - 1;
            var u = relativeError * SqrtTwoPi * Math.Exp(Math.Log(lower) + (0.5 * x * x));
            var step = u / (1 + (0.5 * x * u));
            x -= step;
            if (Math.Abs(step) <= 1e-15 * Math.Max(1, Math.Abs(x)))
            {
                break;
            }
        }

        return p < 0.5 ? x : -x;
    }

    // Start near the answer: linear around the centre, and the leading terms of the Mills-ratio
    // asymptotics (p ≈ φ(x)/|x|) in the tail.
    private static double InitialLowerTailGuess(double p)
    {
        if (p > 0.1)
        {
            return (p - 0.5) * SqrtTwoPi;
        }

        var t = -2 * Math.Log(p);
        var inner = t - Math.Log(t) - Math.Log(2 * Math.PI);
        return -Math.Sqrt(Math.Max(inner, 0.1));
    }
}
