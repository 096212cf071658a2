using Cohortly.Modeling.Statistics;

namespace Cohortly.Modeling.Exploration;

/// <summary>
/// Beta–Bernoulli Thompson sampling: each eligible arm draws a rate from
/// Beta(α₀ + rewards, β₀ + impressions − rewards) and slots go to the highest draws. Arms with
/// little evidence draw widely and get explored; arms proven good win most draws.
/// </summary>
public sealed class ThompsonSamplingPolicy : IExplorationPolicy
{
    private readonly ExplorationOptions _options;

    public ThompsonSamplingPolicy(double priorAlpha = 1, double priorBeta = 1, ExplorationOptions? options = null)
    {
        new BetaPosterior(priorAlpha, priorBeta).Validate();
        PriorAlpha = priorAlpha;
        PriorBeta = priorBeta;
        _options = options ?? new ExplorationOptions();
        _options.Validate();
    }

    public double PriorAlpha { get; }

    public double PriorBeta { get; }

    public ExplorationResult Rerank(IReadOnlyList<ArmCandidate> candidates, int count, DateTimeOffset now, Random random)
    {
        SlotArranger.Validate(candidates, count, random);
        var eligible = SlotArranger.Eligibility(candidates, _options, now);
        var draws = new double[candidates.Count];
        // Draw in candidate order so the result depends only on the seed and the inputs.
        for (var i = 0; i < draws.Length; i++)
        {
            draws[i] = eligible[i] ? Posterior(candidates[i]).Sample(random) : double.NaN;
        }

        var chooser = new OrderedChooser(SlotArranger.ValueOrder(candidates, draws, eligible));
        return SlotArranger.Arrange(candidates, count, _options, ref chooser);
    }

    /// <summary>The arm's posterior; rewards above impressions are treated as all-success.</summary>
    public BetaPosterior Posterior(in ArmCandidate arm)
    {
        var failures = Math.Max(0, arm.Impressions - arm.Rewards);
        return new BetaPosterior(PriorAlpha + arm.Rewards, PriorBeta + failures);
    }
}
