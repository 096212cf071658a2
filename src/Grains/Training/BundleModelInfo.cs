using Cohortly.Contracts;
using Cohortly.Modeling.Training;

namespace Cohortly.Grains.Training;

/// <summary>What the registry keeps of a bundle's learned ranker and purchase model (their holdout evidence, not the models).</summary>
internal static class BundleModelInfo
{
    public static RankerInfo? Ranker(ModelBundle bundle)
    {
        if (bundle.Ranker is not { } r)
        {
            return null;
        }

        var cohorts = new List<RankerCohortInfo>(r.Cohorts.Count);
        foreach (var c in r.Cohorts)
        {
            cohorts.Add(new RankerCohortInfo(c.CohortId, c.Users, c.BlendNdcg, c.RankerNdcg, c.StandardError, c.Serves));
        }

        return new RankerInfo(r.Model is not null, r.Candidates, r.Reason, cohorts, r.Model is { } m ? [.. m.FeatureNames] : []);
    }

    public static PurchaseModelInfo? Purchase(ModelBundle bundle)
    {
        if (bundle.Purchase is not { } p)
        {
            return null;
        }

        var bins = new List<ReliabilityBinInfo>(p.Reliability.Count);
        foreach (var b in p.Reliability)
        {
            bins.Add(new ReliabilityBinInfo(b.Bin, b.Count, b.Positives, b.MinPredicted, b.MaxPredicted, b.MeanPredicted, b.ObservedRate));
        }

        return new PurchaseModelInfo(p.Model is not null, p.Window.TotalDays, p.TrainingUsers, p.HoldoutUsers, p.PositiveRate, Finite(p.RocAuc), Finite(p.LogLoss), bins, p.Reason);
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
