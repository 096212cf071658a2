namespace Cohortly.Modeling.Statistics;

/// <summary>A Beta(Alpha, Beta) belief about a conversion rate.</summary>
public readonly record struct BetaPosterior(double Alpha, double Beta)
{
    /// <summary>Posterior after <paramref name="successes"/> of <paramref name="trials"/> under a Beta(priorAlpha, priorBeta) prior.</summary>
    public static BetaPosterior FromCounts(long trials, long successes, double priorAlpha = 1, double priorBeta = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trials);
        if (successes < 0 || successes > trials)
        {
            throw new ArgumentOutOfRangeException(nameof(successes), successes, "Successes must be between 0 and trials.");
        }

        var prior = new BetaPosterior(priorAlpha, priorBeta);
        prior.Validate();
        return new BetaPosterior(priorAlpha + successes, priorBeta + (trials - successes));
    }

    public double Mean => Alpha / (Alpha + Beta);

    public double Variance
    {
        get
        {
            var s = Alpha + Beta;
            return Alpha * Beta / (s * s * (s + 1));
        }
    }

    public BetaPosterior Update(double successes, double failures) => new(Alpha + successes, Beta + failures);

    public double Cdf(double x) => SpecialFunctions.RegularizedBeta(x, Alpha, Beta);

    public double Sample(Random random) => RandomVariates.Beta(random, Alpha, Beta);

    internal void Validate()
    {
        if (!(Alpha > 0) || !(Beta > 0) || double.IsInfinity(Alpha) || double.IsInfinity(Beta))
        {
            throw new ArgumentOutOfRangeException(nameof(Alpha), $"Beta parameters must be positive and finite, got ({Alpha}, {Beta}).");
        }
    }
}
