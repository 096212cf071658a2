using Cohortly.Modeling.Purchase;
using Cohortly.Modeling.Ranking;

namespace Cohortly.Modeling.Training;

/// <summary>The format-3 sections of a model bundle: the learned ranker and the purchase model, each with its evidence.</summary>
internal static class BundleModelsFormat
{
    public static void WriteRanker(BinaryWriter w, RankerModel? ranker)
    {
        w.Write(ranker is not null);
        if (ranker is null)
        {
            return;
        }

        w.Write(ranker.Candidates);
        w.Write(ranker.Reason);
        w.Write(ranker.Model is not null);
        ranker.Model?.Write(w);
        w.Write(ranker.Cohorts.Count);
        foreach (var c in ranker.Cohorts)
        {
            w.Write(c.CohortId);
            w.Write(c.Users);
            w.Write(c.BlendNdcg);
            w.Write(c.RankerNdcg);
            w.Write(c.StandardError);
            w.Write(c.Serves);
        }
    }

    public static RankerModel? ReadRanker(BinaryReader r)
    {
        if (!r.ReadBoolean())
        {
            return null;
        }

        var candidates = r.ReadInt32();
        var reason = r.ReadString();
        var model = r.ReadBoolean() ? CandidateRanker.Read(r) : null;
        var count = Count(r);
        var cohorts = new RankerCohortReport[count];
        for (var k = 0; k < count; k++)
        {
            cohorts[k] = new RankerCohortReport(r.ReadInt32(), r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadBoolean());
        }

        return new RankerModel(model, candidates, cohorts, reason);
    }

    public static void WritePurchase(BinaryWriter w, PurchaseModelReport? purchase)
    {
        w.Write(purchase is not null);
        if (purchase is null)
        {
            return;
        }

        w.Write(purchase.Model is not null);
        purchase.Model?.Write(w);
        w.Write(purchase.Window.Ticks);
        w.Write(purchase.TrainingUsers);
        w.Write(purchase.HoldoutUsers);
        w.Write(purchase.PositiveRate);
        w.Write(purchase.RocAuc);
        w.Write(purchase.LogLoss);
        w.Write(purchase.Reason);
        w.Write(purchase.Reliability.Count);
        foreach (var b in purchase.Reliability)
        {
            w.Write(b.Bin);
            w.Write(b.Count);
            w.Write(b.Positives);
            w.Write(b.MinPredicted);
            w.Write(b.MaxPredicted);
            w.Write(b.MeanPredicted);
            w.Write(b.ObservedRate);
        }
    }

    public static PurchaseModelReport? ReadPurchase(BinaryReader r)
    {
        if (!r.ReadBoolean())
        {
            return null;
        }

        var model = r.ReadBoolean() ? PurchaseLikelihoodModel.Read(r) : null;
        var window = TimeSpan.FromTicks(r.ReadInt64());
        var trainingUsers = r.ReadInt32();
        var holdoutUsers = r.ReadInt32();
        var positiveRate = r.ReadDouble();
        var auc = r.ReadDouble();
        var logLoss = r.ReadDouble();
        var reason = r.ReadString();
        var count = Count(r);
        var bins = new CalibrationBin[count];
        for (var k = 0; k < count; k++)
        {
            bins[k] = new CalibrationBin(r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble());
        }

        return new PurchaseModelReport(model, window, trainingUsers, holdoutUsers, positiveRate, auc, logLoss, bins, reason);
    }

    private static int Count(BinaryReader r)
    {
        var n = r.ReadInt32();
        if (n < 0 || n > r.BaseStream.Length)
        {
            throw new InvalidDataException($"model bundle has an impossible count {n}");
        }

        return n;
    }
}
