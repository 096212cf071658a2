using System.Globalization;
using Cohortly.Modeling.Experiments;
using Xunit.Abstractions;

namespace Cohortly.Modeling.Tests.Experiments;

public sealed class BanditAndOffPolicyTests(ITestOutputHelper output)
{
    [Fact]
    public void Thompson_allocation_converges_to_the_better_variant_and_keeps_the_floor()
    {
        var random = new Random(21);
        var rates = new[] { 0.05, 0.07, 0.055 };
        var names = new[] { "global-baseline", "policy-a", "policy-b" };
        var trials = new long[3];
        var successes = new long[3];
        BanditAllocation allocation = null!;
        for (var batch = 0; batch < 40; batch++)
        {
            var evidence = new ArmEvidence[3];
            for (var i = 0; i < 3; i++)
            {
                evidence[i] = new ArmEvidence(names[i], trials[i], successes[i]);
            }

            allocation = ThompsonAllocator.Allocate(evidence, floor: 0.05, random, draws: 5000);
            Assert.Equal(1, allocation.Probabilities.Sum(), 12);
            Assert.All(allocation.Probabilities, p => Assert.True(p >= 0.05 - 1e-12));
            for (var e = 0; e < 2000; e++)
            {
                var pick = ThompsonAllocator.Choose(allocation, random);
                Assert.Equal(allocation.Probabilities[pick.Index], pick.Propensity);
                trials[pick.Index]++;
                if (random.NextDouble() < rates[pick.Index])
                {
                    successes[pick.Index]++;
                }
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"final split {allocation.Probabilities[0]:0.000}/{allocation.Probabilities[1]:0.000}/{allocation.Probabilities[2]:0.000}"));
        Assert.True(allocation.Probabilities[1] >= 0.85, $"better arm share {allocation.Probabilities[1]}");
        Assert.True(trials[1] > trials[0] + trials[2]);
    }

    [Fact]
    public void Inverse_propensity_estimates_under_adaptive_allocation_are_unbiased()
    {
        const int runs = 400;
        var rates = new[] { 0.05, 0.065 };
        var ipsSum = new double[2];
        var ipsSquares = new double[2];
        var naiveSum = new double[2];
        var liftSum = 0.0;
        var liftCovered = 0;
        var covered = new int[2];
        var random = new Random(77);
        for (var run = 0; run < runs; run++)
        {
            var trials = new long[2];
            var successes = new long[2];
            var sums = new WeightedRewardSums[2];
            for (var batch = 0; batch < 10; batch++)
            {
                var allocation = ThompsonAllocator.Allocate(
                    [new ArmEvidence("global-baseline", trials[0], successes[0]), new ArmEvidence("cohort-model", trials[1], successes[1])],
                    floor: 0.1,
                    random);
                for (var e = 0; e < 400; e++)
                {
                    var pick = ThompsonAllocator.Choose(allocation, random);
                    var reward = random.NextDouble() < rates[pick.Index] ? 1.0 : 0.0;
                    trials[pick.Index]++;
                    successes[pick.Index] += (long)reward;
                    sums[pick.Index] = sums[pick.Index].Add(1 / pick.Propensity, reward);
                }
            }

            var estimates = ThompsonAllocator.Estimate([new BanditArmCounts("global-baseline", sums[0]), new BanditArmCounts("cohort-model", sums[1])]);
            var lift = estimates[1];
            liftSum += lift.DifferenceFromBaseline;
            liftCovered += lift.DifferenceLower <= rates[1] - rates[0] && rates[1] - rates[0] <= lift.DifferenceUpper ? 1 : 0;
            for (var i = 0; i < 2; i++)
            {
                var ips = estimates[i].Estimate.Ips;
                ipsSum[i] += ips;
                ipsSquares[i] += ips * ips;
                naiveSum[i] += trials[i] > 0 ? (double)successes[i] / trials[i] : 0;
                covered[i] += estimates[i].Estimate.IpsLower <= rates[i] && rates[i] <= estimates[i].Estimate.IpsUpper ? 1 : 0;
            }
        }

        for (var i = 0; i < 2; i++)
        {
            var mean = ipsSum[i] / runs;
            var sd = Math.Sqrt((ipsSquares[i] / runs) - (mean * mean));
            var standardError = sd / Math.Sqrt(runs);
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"arm {i}: true {rates[i]:0.0000}, mean IPS {mean:0.00000} (se {standardError:0.00000}), mean naive {naiveSum[i] / runs:0.00000}, IPS interval coverage {(double)covered[i] / runs:0.000}"));
            Assert.True(Math.Abs(mean - rates[i]) < 3 * standardError, $"arm {i}: IPS mean {mean} vs {rates[i]} (se {standardError})");
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lift: true {rates[1] - rates[0]:0.0000}, mean IPS lift {liftSum / runs:0.00000}, interval coverage {(double)liftCovered / runs:0.000}"));
        Assert.InRange((double)liftCovered / runs, 0.9, 0.99);
    }

    [Fact]
    public void Off_policy_intervals_cover_the_true_ctr_at_about_the_nominal_rate()
    {
        const int runs = 300;
        const int perCohort = 2000;
        double[][] ctr = [[0.02, 0.05, 0.08, 0.04], [0.10, 0.03, 0.06, 0.07], [0.05, 0.05, 0.12, 0.01]];
        double[][] logging = [[0.4, 0.3, 0.2, 0.1], [0.25, 0.25, 0.25, 0.25], [0.1, 0.2, 0.3, 0.4]];
        double[] target = [0.1, 0.2, 0.6, 0.1];
        var truth = new double[3];
        for (var c = 0; c < 3; c++)
        {
            for (var a = 0; a < 4; a++)
            {
                truth[c] += target[a] * ctr[c][a];
            }
        }

        var random = new Random(31);
        int ipsCovered = 0, snCovered = 0, total = 0;
        var essSum = 0.0;
        var log = new List<LoggedDecision>(3 * perCohort);
        for (var run = 0; run < runs; run++)
        {
            log.Clear();
            for (var c = 0; c < 3; c++)
            {
                for (var i = 0; i < perCohort; i++)
                {
                    var a = Draw(logging[c], random);
                    var reward = random.NextDouble() < ctr[c][a] ? 1 : 0;
                    log.Add(new LoggedDecision(c, "action-" + a, logging[c][a], target[a], reward));
                }
            }

            foreach (var estimate in OffPolicyEvaluation.EstimatePerCohort(log))
            {
                var e = estimate.Estimate;
                var t = truth[estimate.CohortId];
                ipsCovered += e.IpsLower <= t && t <= e.IpsUpper ? 1 : 0;
                snCovered += e.SelfNormalizedLower <= t && t <= e.SelfNormalizedUpper ? 1 : 0;
                essSum += e.EffectiveSampleSize;
                total++;
            }
        }

        var ipsCoverage = (double)ipsCovered / total;
        var snCoverage = (double)snCovered / total;
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{runs} logs x 3 cohorts x {perCohort} decisions: IPS coverage {ipsCoverage:0.000}, SNIPS coverage {snCoverage:0.000}, mean ESS {essSum / total:0} of {perCohort}"));
        Assert.InRange(ipsCoverage, 0.91, 0.98);
        Assert.InRange(snCoverage, 0.91, 0.98);
        Assert.True(essSum / total < perCohort);
    }

    [Fact]
    public void On_policy_logs_give_the_sample_mean_and_full_effective_sample_size()
    {
        var log = new List<LoggedDecision>();
        for (var i = 0; i < 10; i++)
        {
            log.Add(new LoggedDecision(4, "a", 0.5, 0.5, i < 3 ? 1 : 0));
        }

        var e = Assert.Single(OffPolicyEvaluation.EstimatePerCohort(log)).Estimate;
        Assert.Equal(0.3, e.Ips, 12);
        Assert.Equal(0.3, e.SelfNormalized, 12);
        Assert.Equal(10, e.EffectiveSampleSize, 9);
        Assert.Throws<ArgumentOutOfRangeException>(() => OffPolicyEvaluation.EstimatePerCohort([new LoggedDecision(0, "a", 0, 1, 1)]));
    }

    private static int Draw(double[] p, Random random)
    {
        var u = random.NextDouble();
        var cumulative = 0.0;
        for (var i = 0; i < p.Length - 1; i++)
        {
            cumulative += p[i];
            if (u < cumulative)
            {
                return i;
            }
        }

        return p.Length - 1;
    }
}
