namespace Cohortly.Modeling.Statistics;

/// <summary>
/// P(rate_B &gt; rate_A) for two independent Beta posteriors (the Beta–Binomial A/B model).
/// Three methods, tried in this order by <see cref="ProbabilityBBeatsA(BetaPosterior, BetaPosterior, Random?, int)"/>:
/// an exact finite sum (needs an integral alpha on either side, which every integral prior gives),
/// numerical integration (needs every shape ≥ 1), and Monte Carlo (needs a seeded <see cref="Random"/>).
/// </summary>
public static class BayesianComparison
{
    /// <summary>The exact sum has one term per unit of alpha; beyond this it hands over to integration.</summary>
    public const int MaxExactTerms = 1_000_000;

    private const int IntegrationIntervals = 4000;
    private const double IntegrationWindowSds = 20;

    public static double ProbabilityBBeatsA(BetaPosterior a, BetaPosterior b, Random? fallbackRandom = null, int monteCarloDraws = 200_000)
    {
        a.Validate();
        b.Validate();
        if (TryExact(a, b, out var exact))
        {
            return exact;
        }

        if (a.Alpha >= 1 && a.Beta >= 1 && b.Alpha >= 1 && b.Beta >= 1)
        {
            return ByIntegration(a, b);
        }

        if (fallbackRandom is null)
        {
            throw new InvalidOperationException("No exact or quadrature method applies to these shapes; pass a seeded Random for Monte Carlo.");
        }

        return MonteCarlo(a, b, fallbackRandom, monteCarloDraws);
    }

    /// <summary>
    /// Exact value when alpha of A or of B is an integer no larger than <see cref="MaxExactTerms"/>:
    /// P(B &gt; A) = Σ_{i&lt;α_B} B(α_A+i, β_A+β_B) / ((β_B+i) B(1+i, β_B) B(α_A, β_A)).
    /// </summary>
    public static bool TryExact(BetaPosterior a, BetaPosterior b, out double probability)
    {
        a.Validate();
        b.Validate();
        var bIntegral = IsSmallInteger(b.Alpha);
        var aIntegral = IsSmallInteger(a.Alpha);
        if (bIntegral && (!aIntegral || b.Alpha <= a.Alpha))
        {
            probability = ExactSum(a, b);
            return true;
        }

        if (aIntegral)
        {
            // P(B > A) = 1 − P(A > B): ties have probability zero for continuous posteriors.
            probability = 1 - ExactSum(b, a);
            return true;
        }

        probability = 0;
        return false;
    }

    /// <summary>
    /// ∫ f_B(x) · I_x(α_A, β_A) dx by composite Simpson over ±20 standard deviations of B.
    /// Needs every shape ≥ 1 so the densities stay bounded.
    /// </summary>
    public static double ByIntegration(BetaPosterior a, BetaPosterior b)
    {
        a.Validate();
        b.Validate();
        if (a.Alpha < 1 || a.Beta < 1 || b.Alpha < 1 || b.Beta < 1)
        {
            throw new ArgumentException("Integration needs all shape parameters >= 1.");
        }

        var sd = Math.Sqrt(b.Variance);
        var lo = Math.Max(0, b.Mean - (IntegrationWindowSds * sd));
        var hi = Math.Min(1, b.Mean + (IntegrationWindowSds * sd));
        var h = (hi - lo) / IntegrationIntervals;
        var logNorm = SpecialFunctions.LogBeta(b.Alpha, b.Beta);
        var sum = 0.0;
        for (var i = 0; i <= IntegrationIntervals; i++)
        {
            var x = lo + (i * h);
            var weight = i == 0 || i == IntegrationIntervals ? 1 : (i % 2 == 1 ? 4 : 2);
            var density = BetaDensity(x, b.Alpha, b.Beta, logNorm);
            if (density > 0)
            {
                sum += weight * density * SpecialFunctions.RegularizedBeta(x, a.Alpha, a.Beta);
            }
        }

        return Math.Clamp(sum * h / 3, 0, 1);
    }

    /// <summary>Share of paired posterior draws where B's draw exceeds A's; standard error ≤ 0.5/√draws.</summary>
    public static double MonteCarlo(BetaPosterior a, BetaPosterior b, Random random, int draws = 200_000)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(draws);
        a.Validate();
        b.Validate();
        var wins = 0;
        for (var i = 0; i < draws; i++)
        {
            if (b.Sample(random) > a.Sample(random))
            {
                wins++;
            }
        }

        return (double)wins / draws;
    }

    /// <summary>
    /// P(each arm has the highest rate) under independent Beta posteriors. Two arms use the exact
    /// <see cref="ProbabilityBBeatsA"/>; more arms need a seeded <paramref name="random"/> for paired
    /// Monte Carlo draws (standard error ≤ 0.5/√draws per arm).
    /// </summary>
    public static double[] ProbabilityOfBeingBest(ReadOnlySpan<BetaPosterior> posteriors, Random? random = null, int draws = 20_000)
    {
        if (posteriors.Length == 0)
        {
            return [];
        }

        if (posteriors.Length == 1)
        {
            return [1.0];
        }

        if (posteriors.Length == 2)
        {
            var second = ProbabilityBBeatsA(posteriors[0], posteriors[1], random);
            return [1 - second, second];
        }

        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(draws);
        var wins = new double[posteriors.Length];
        for (var d = 0; d < draws; d++)
        {
            var best = 0;
            var bestDraw = double.NegativeInfinity;
            for (var i = 0; i < posteriors.Length; i++)
            {
                var x = posteriors[i].Sample(random);
                if (x > bestDraw)
                {
                    bestDraw = x;
                    best = i;
                }
            }

            wins[best]++;
        }

        for (var i = 0; i < wins.Length; i++)
        {
            wins[i] /= draws;
        }

        return wins;
    }

    private static bool IsSmallInteger(double value) =>
        value <= MaxExactTerms && Math.Abs(value - Math.Round(value)) < 1e-9;

    private static double ExactSum(BetaPosterior a, BetaPosterior b)
    {
        var terms = (int)Math.Round(b.Alpha);
        // term_0 = B(α_A, β_A+β_B) / B(α_A, β_A); each next term follows from the ratio
        // (α_A+i)(β_B+i) / ((α_A+β_A+β_B+i)(i+1)). Terms are summed in log space with a running
        // maximum because for large counts every term can underflow on its own.
        var logTerm = SpecialFunctions.LogBeta(a.Alpha, a.Beta + b.Beta) - SpecialFunctions.LogBeta(a.Alpha, a.Beta);
        var maxLog = logTerm;
        var scaledSum = 1.0;
        var abb = a.Alpha + a.Beta + b.Beta;
        for (var i = 0; i < terms - 1; i++)
        {
            logTerm += Math.Log((a.Alpha + i) * (b.Beta + i) / ((abb + i) * (i + 1)));
            if (logTerm > maxLog)
            {
                scaledSum = (scaledSum * Math.Exp(maxLog - logTerm)) + 1;
                maxLog = logTerm;
            }
            else
            {
                scaledSum += Math.Exp(logTerm - maxLog);
            }
        }

        return Math.Clamp(scaledSum * Math.Exp(maxLog), 0, 1);
    }

    private static double BetaDensity(double x, double alpha, double beta, double logNorm)
    {
        if (x <= 0)
        {
            return alpha == 1 ? Math.Exp(-logNorm) : 0;
        }

        if (x >= 1)
        {
            return beta == 1 ? Math.Exp(-logNorm) : 0;
        }

        return Math.Exp(((alpha - 1) * Math.Log(x)) + ((beta - 1) * SpecialFunctions.Log1P(-x)) - logNorm);
    }
}
