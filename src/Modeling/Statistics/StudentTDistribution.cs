namespace Cohortly.Modeling.Statistics;

/// <summary>Student's t distribution with ν degrees of freedom (for Welch intervals on small arms).</summary>
public static class StudentTDistribution
{
    /// <summary>Beyond this many degrees of freedom t and the standard normal agree to better than 1e-6.</summary>
    private const double NormalBeyond = 1e7;

    /// <summary>P(T ≤ t) = ½ I_{ν/(ν+t²)}(ν/2, ½) for t &lt; 0, mirrored for t ≥ 0.</summary>
    public static double Cdf(double t, double degreesOfFreedom)
    {
        Validate(degreesOfFreedom);
        if (double.IsNaN(t))
        {
            return double.NaN;
        }

        if (degreesOfFreedom > NormalBeyond)
        {
            return NormalDistribution.Cdf(t);
        }

        var tail = 0.5 * SpecialFunctions.RegularizedBeta(degreesOfFreedom / (degreesOfFreedom + (t * t)), degreesOfFreedom / 2, 0.5);
        return t < 0 ? tail : 1 - tail;
    }

    /// <summary>The quantile, by bisection on <see cref="Cdf"/> (used per report, never per event).</summary>
    public static double InverseCdf(double p, double degreesOfFreedom)
    {
        Validate(degreesOfFreedom);
        if (!(p > 0 && p < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "Probability must be in (0, 1).");
        }

        if (degreesOfFreedom > NormalBeyond)
        {
            return NormalDistribution.InverseCdf(p);
        }

        var hi = Math.Max(1, Math.Abs(NormalDistribution.InverseCdf(p)));
        while (Cdf(hi, degreesOfFreedom) < Math.Max(p, 1 - p))
        {
            hi *= 2;
        }

        var lo = -hi;
        for (var i = 0; i < 200 && hi - lo > 1e-12 * Math.Max(1, Math.Abs(hi)); i++)
        {
            var mid = 0.5 * (lo + hi);
            if (Cdf(mid, degreesOfFreedom) < p)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return 0.5 * (lo + hi);
    }

    private static void Validate(double degreesOfFreedom)
    {
        if (!(degreesOfFreedom > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom, "Degrees of freedom must be positive.");
        }
    }
}
