namespace Cohortly.Modeling.Tests.Drift;

/// <summary>Seeded synthetic signals for the drift tests.</summary>
internal static class DriftStreams
{
    public static double[] Bernoulli(Random random, int length, double rate, int changeAt = int.MaxValue, double rateAfter = 0)
    {
        var values = new double[length];
        for (var i = 0; i < length; i++)
        {
            var p = i < changeAt ? rate : rateAfter;
            values[i] = random.NextDouble() < p ? 1 : 0;
        }

        return values;
    }

    public static double[] Gaussian(Random random, int length, double mean, double sd, int changeAt = int.MaxValue, double meanAfter = 0)
    {
        var values = new double[length];
        for (var i = 0; i < length; i++)
        {
            var m = i < changeAt ? mean : meanAfter;
            values[i] = m + (sd * Cohortly.Modeling.Statistics.RandomVariates.StandardNormal(random));
        }

        return values;
    }
}
