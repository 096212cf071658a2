using Cohortly.Contracts;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Purchase;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Modeling.Training;

/// <summary>
/// Fits the purchase-likelihood model of a training run: every user with events before (now − window) is described
/// by the grains' own profile features at that cut-off and labelled by whether they bought in (cut-off, now]; a seeded
/// share of those users is held out for ROC-AUC, log loss and a reliability table. Profile features only (no extra
/// counts), so serving can ask the model with the live profile's <see cref="ProfileFeatures"/> and nothing else.
/// </summary>
internal static class PurchaseTraining
{
    private const int ReliabilityBins = 10;

    public static PurchaseModelReport Fit(TrainingLog log, TrainingOptions options, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var window = options.PurchaseWindow;
        var nowMs = now.ToUnixTimeMilliseconds();
        var cutoffMs = nowMs - (long)window.TotalMilliseconds;
        // One user's profile at a time (their events in log order, as a replay of the whole log would apply them): the
        // run keeps each user's features at the cut-off, not the profiles.
        var userCount = log.UserIds.Length;
        var features = new FeatureMatrix(userCount, ProfileFeatures.Count);
        var bought = new bool[userCount];
        var anyPurchase = false;
        var users = new List<int>();
        var (start, byUser) = log.ByUser;
        for (var u = 0; u < userCount; u++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            UserProfile? profile = null;
            for (var x = start[u]; x < start[u + 1]; x++)
            {
                var k = byUser[x];
                var t = log.EventTimes[k];
                if (t <= cutoffMs)
                {
                    (profile ??= new UserProfile()).Apply(log.Event(k), log.ItemInfos[log.EventItems[k]], options.Profile);
                }
                else if (t <= nowMs && log.Type(k) == InteractionType.Purchase)
                {
                    bought[u] = true;
                    anyPurchase = true;
                }
            }

            if (profile is { TotalEvents: > 0 })
            {
                users.Add(u);
                ProfileFeatures.Extract(profile, cutoffMs, features.Row(u));
            }
        }

        if (!anyPurchase)
        {
            return Empty(window, $"no purchases in the last {window.TotalDays:0.#} days of the log");
        }

        var order = users.ToArray();
        new Random(options.Seed + 30).Shuffle(order);
        var held = (int)Math.Round(order.Length * options.PurchaseHoldoutFraction);
        var fit = order[held..];
        var test = order[..held];
        Array.Sort(fit);
        Array.Sort(test);
        var (fitFeatures, fitLabels) = Examples(fit, features, bought);
        var (testFeatures, testLabels) = Examples(test, features, bought);
        var fitPositives = Count(fitLabels);
        var testPositives = Count(testLabels);
        if (fitPositives < options.PurchaseMinClassUsers || fit.Length - fitPositives < options.PurchaseMinClassUsers
            || testPositives == 0 || testPositives == test.Length)
        {
            return Empty(window, $"too few users on each side: {fitPositives} of {fit.Length} training users and {testPositives} of {test.Length} holdout users bought within the window (need {options.PurchaseMinClassUsers} buyers and non-buyers to train, both in the holdout)");
        }

        var model = PurchaseLikelihoodModel.Fit(
            new PurchaseExamples(fitFeatures, fitLabels, fit, cutoffMs / 1000),
            new PurchaseModelOptions { Seed = options.Seed, MinimumExampleCountPerLeaf = Math.Max(1, Math.Min(30, fit.Length / 20)) },
            ProfileFeatures.Names);
        var predictions = model.PredictAll(testFeatures);
        return new PurchaseModelReport(
            model,
            window,
            fit.Length,
            test.Length,
            (double)testPositives / test.Length,
            BinaryMetrics.RocAuc(predictions, testLabels),
            LogLoss(predictions, testLabels),
            BinaryMetrics.CalibrationTable(predictions, testLabels, ReliabilityBins),
            "trained");
    }

    /// <summary>Mean negative log-likelihood, probabilities clipped to [1e-15, 1 − 1e-15].</summary>
    internal static double LogLoss(ReadOnlySpan<double> predictions, ReadOnlySpan<bool> labels)
    {
        var sum = 0.0;
        for (var i = 0; i < predictions.Length; i++)
        {
            var p = Math.Clamp(predictions[i], 1e-15, 1 - 1e-15);
            sum -= labels[i] ? Math.Log(p) : Math.Log(1 - p);
        }

        return predictions.Length == 0 ? double.NaN : sum / predictions.Length;
    }

    private static PurchaseModelReport Empty(TimeSpan window, string reason) =>
        new(null, window, 0, 0, 0, double.NaN, double.NaN, [], reason);

    private static (FeatureMatrix Features, bool[] Labels) Examples(int[] users, FeatureMatrix all, bool[] bought)
    {
        var features = new FeatureMatrix(users.Length, ProfileFeatures.Count);
        var labels = new bool[users.Length];
        for (var x = 0; x < users.Length; x++)
        {
            all.ReadRow(users[x]).CopyTo(features.Row(x));
            labels[x] = bought[users[x]];
        }

        return (features, labels);
    }

    private static int Count(bool[] labels)
    {
        var n = 0;
        foreach (var l in labels)
        {
            n += l ? 1 : 0;
        }

        return n;
    }
}
