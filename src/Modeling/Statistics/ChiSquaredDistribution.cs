namespace Cohortly.Modeling.Statistics;

/// <summary>Chi-square distribution with <c>k</c> degrees of freedom: χ²_k is Gamma(k/2, scale 2).</summary>
public static class ChiSquaredDistribution
{
    public static double Cdf(double x, double degreesOfFreedom)
    {
        Validate(degreesOfFreedom);
        return x <= 0 ? 0 : SpecialFunctions.RegularizedGammaP(degreesOfFreedom / 2, x / 2);
    }

    /// <summary>Survival function P(X ≥ x): the p-value of a chi-square statistic.</summary>
    public static double Sf(double x, double degreesOfFreedom)
    {
        Validate(degreesOfFreedom);
        return x <= 0 ? 1 : SpecialFunctions.RegularizedGammaQ(degreesOfFreedom / 2, x / 2);
    }

    private static void Validate(double degreesOfFreedom)
    {
        if (!(degreesOfFreedom > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom, "Degrees of freedom must be positive.");
        }
    }
}
