using Cohortly.Contracts;
using Cohortly.Modeling.Training;

namespace Cohortly.Grains.Training;

/// <summary>What the registry keeps of a bundle's learned ranker, purchase model and self-tuning (their evidence, not the models).</summary>
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

    public static TuningInfo? Tuning(ModelBundle bundle)
    {
        if (bundle.Tuning is not { } t)
        {
            return null;
        }

        var trials = new List<TuningTrialInfo>(t.Trials.Count);
        foreach (var trial in t.Trials)
        {
            trials.Add(new TuningTrialInfo(trial.Family, trial.Parameters, trial.Ndcg, trial.Seconds));
        }

        var tuned = false;
        foreach (var (name, value) in t.Chosen)
        {
            tuned |= !t.Defaults.TryGetValue(name, out var configured) || configured != value;
        }

        return new TuningInfo(t.Enabled, tuned, t.Reason, t.Budget, t.ValidationUsers, Finite(t.DefaultNdcg), Finite(t.ChosenNdcg), new Dictionary<string, double>(t.Defaults), new Dictionary<string, double>(t.Chosen), trials, t.Stopped, t.Seconds);
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
