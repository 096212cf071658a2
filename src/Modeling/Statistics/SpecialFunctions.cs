namespace Cohortly.Modeling.Statistics;

/// <summary>
/// Log-gamma, regularized incomplete gamma and regularized incomplete beta functions.
/// These carry every distribution function in this folder (normal, chi-square, beta), so
/// their accuracy (close to double precision) bounds the accuracy of the tests built on them.
/// </summary>
public static class SpecialFunctions
{
    private const double Epsilon = 1e-16;
    private const double Tiny = 1e-300;
    private const int MaxIterations = 10_000;
    private static readonly double HalfLogTwoPi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>ln Γ(x) for x &gt; 0.</summary>
    public static double LogGamma(double x)
    {
        if (!(x > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "LogGamma is defined here for x > 0 only.");
        }

        if (double.IsPositiveInfinity(x))
        {
            return double.PositiveInfinity;
        }

        // Shift the argument up with Γ(x) = Γ(x + n) / (x (x+1) ... (x+n-1)) until the Stirling
        // series is accurate to double precision (its first omitted term is below 1e-16 at z >= 15).
        var shift = 0.0;
        var z = x;
        while (z < 15)
        {
            shift += Math.Log(z);
            z += 1;
        }

        var inv = 1 / z;
        var inv2 = inv * inv;
        // Stirling's series: Bernoulli numbers B2..B12 give 1/12, -1/360, 1/1260, -1/1680, 1/1188, -691/360360.
        var series = inv * (1.0 / 12 + inv2 * (-1.0 / 360 + inv2 * (1.0 / 1260 + inv2 * (-1.0 / 1680 + inv2 * (1.0 / 1188 + inv2 * (-691.0 / 360360))))));
        return ((z - 0.5) * Math.Log(z)) - z + HalfLogTwoPi + series - shift;
    }

    /// <summary>ln(1 + x), accurate for tiny x (the rounding of 1 + x is divided back out).</summary>
    public static double Log1P(double x)
    {
        var u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }

    /// <summary>ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b).</summary>
    public static double LogBeta(double a, double b) => LogGamma(a) + LogGamma(b) - LogGamma(a + b);

    /// <summary>Lower regularized incomplete gamma P(a, x) = γ(a, x) / Γ(a).</summary>
    public static double RegularizedGammaP(double a, double x)
    {
        ValidateGammaArguments(a, x);
        if (x == 0)
        {
            return 0;
        }

        if (double.IsPositiveInfinity(x))
        {
            return 1;
        }

        return x < a + 1 ? GammaSeries(a, x) : 1 - GammaContinuedFraction(a, x);
    }

    /// <summary>Upper regularized incomplete gamma Q(a, x) = 1 − P(a, x), accurate in the far tail.</summary>
    public static double RegularizedGammaQ(double a, double x)
    {
        ValidateGammaArguments(a, x);
        if (x == 0)
        {
            return 1;
        }

        if (double.IsPositiveInfinity(x))
        {
            return 0;
        }

        return x < a + 1 ? 1 - GammaSeries(a, x) : GammaContinuedFraction(a, x);
    }

    /// <summary>Regularized incomplete beta I_x(a, b), the CDF of Beta(a, b) at x.</summary>
    public static double RegularizedBeta(double x, double a, double b)
    {
        if (!(a > 0) || !(b > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(a), "Shape parameters must be positive.");
        }

        if (double.IsNaN(x))
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "x must be a number.");
        }

        if (x <= 0)
        {
            return 0;
        }

        if (x >= 1)
        {
            return 1;
        }

        // The continued fraction converges fast only left of the mean; use the reflection
        // I_x(a, b) = 1 − I_{1−x}(b, a) on the other side.
        if (x > (a + 1) / (a + b + 2))
        {
            return 1 - RegularizedBeta(1 - x, b, a);
        }

        var logFront = (a * Math.Log(x)) + (b * Log1P(-x)) - LogBeta(a, b);
        return Math.Exp(logFront) * BetaContinuedFraction(x, a, b) / a;
    }

    private static void ValidateGammaArguments(double a, double x)
    {
        if (!(a > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(a), a, "Shape must be positive.");
        }

        if (!(x >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(x), x, "x must be non-negative.");
        }
    }

    // γ(a, x)/Γ(a) = x^a e^{-x} / Γ(a+1) · Σ_n x^n / ((a+1)(a+2)...(a+n)); all terms positive.
    private static double GammaSeries(double a, double x)
    {
        var term = 1.0 / a;
        var sum = term;
        var ap = a;
        for (var n = 0; n < MaxIterations; n++)
        {
            ap += 1;
            term *= x / ap;
            sum += term;
            if (Math.Abs(term) < Math.Abs(sum) * Epsilon)
            {
                break;
            }
        }

        return sum * Math.Exp((a * Math.Log(x)) - x - LogGamma(a));
    }

    // Γ(a, x)/Γ(a) by its continued fraction, evaluated with the modified Lentz method.
    private static double GammaContinuedFraction(double a, double x)
    {
        var b = x + 1 - a;
        var c = 1 / Tiny;
        var d = 1 / b;
        var h = d;
        for (var i = 1; i < MaxIterations; i++)
        {
            var an = -i * (i - a);
            b += 2;
            d = (an * d) + b;
            if (Math.Abs(d) < Tiny)
            {
                d = Tiny;
            }

            c = b + (an / c);
            if (Math.Abs(c) < Tiny)
            {
                c = Tiny;
            }

            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < Epsilon)
            {
                break;
            }
        }

        return Math.Exp((a * Math.Log(x)) - x - LogGamma(a)) * h;
    }

    // Continued fraction for I_x(a, b) (without the x^a (1-x)^b / (a B(a,b)) front factor), modified Lentz.
    private static double BetaContinuedFraction(double x, double a, double b)
    {
        var qab = a + b;
        var qap = a + 1;
        var qam = a - 1;
        var c = 1.0;
        var d = 1 - (qab * x / qap);
        if (Math.Abs(d) < Tiny)
        {
            d = Tiny;
        }

        d = 1 / d;
        var h = d;
        for (var m = 1; m < MaxIterations; m++)
        {
            var m2 = 2 * m;
            var even = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + (even * d);
            if (Math.Abs(d) < Tiny)
            {
                d = Tiny;
            }

            c = 1 + (even / c);
            if (Math.Abs(c) < Tiny)
            {
                c = Tiny;
            }

            d = 1 / d;
            h *= d * c;

            var odd = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + (odd * d);
            if (Math.Abs(d) < Tiny)
            {
                d = Tiny;
            }

            c = 1 + (odd / c);
            if (Math.Abs(c) < Tiny)
            {
                c = Tiny;
            }

            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < Epsilon)
            {
                break;
            }
        }

        return h;
    }
}
