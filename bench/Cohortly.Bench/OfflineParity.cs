using System.Diagnostics;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;

namespace Cohortly.Bench;

/// <summary>What the in-process run of the server's code produced for the test users.</summary>
internal sealed record OfflineResult(
    IReadOnlyList<string>?[] Lists,
    int?[] Cohorts,
    string?[] Strategies,
    float[]?[] Features,
    double TrainSeconds,
    double ServeSeconds,
    long Version,
    int FallbackUsers,
    TrainingSummary Summary,
    TuningReport? Tuning);

/// <summary>
/// The offline side of the parity check: the server's training pipeline on the replayed events (same interaction list,
/// same catalog, no attributes, version 1) and its serving pipeline for each test user with exploration off. A known
/// user's history is the bundle's training row, so no recent items are passed; the user's train+valid items are
/// excluded as the offline evaluator excludes them, and the cohort is the one the user's replayed profile falls in.
/// </summary>
internal static class OfflineParity
{
    /// <param name="trainingNow">The training run's "now": the last event time (default), or the wall clock as a live server would use.</param>
    public static OfflineResult Run(ReplayData data, ParityScorer scorer, TrainingOptions options, DateTimeOffset? trainingNow, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var interactions = new Interaction[data.Events.Count];
        for (var i = 0; i < interactions.Length; i++)
        {
            interactions[i] = data.Events[i].Interaction;
        }

        var now = DateTimeOffset.FromUnixTimeMilliseconds(data.LastTimestampMs);
        var input = new TrainingInput(interactions, data.CatalogItems(), [], null, 1, trainingNow ?? now);
        var watch = Stopwatch.StartNew();
        var bundle = TrainingPipeline.Run(input, options, progress, cancellationToken);
        var trainSeconds = watch.Elapsed.TotalSeconds;

        // Serve at the training clock, as the server does: live cohorts are assigned from features measured at the
        // wall clock and the context re-rank reads the request's hour of day.
        var servingNow = trainingNow ?? now;
        var profiles = data.Profiles();
        var users = scorer.Users.ToArray();
        var lists = new IReadOnlyList<string>?[users.Length];
        var cohorts = new int?[users.Length];
        var strategies = new string?[users.Length];
        var featureRows = new float[]?[users.Length];
        var fallbacks = 0;
        watch.Restart();
        Parallel.For(0, users.Length, new ParallelOptions { CancellationToken = cancellationToken }, x =>
        {
            var u = users[x];
            // As the user grain: features at the model's clock (training's reference for a user with nothing newer).
            var features = ProfileFeatures.Extract(profiles[u], ModelClock.ProfileTime(bundle, profiles[u], servingNow).ToUnixTimeMilliseconds());
            var segmentation = bundle.Segmentation;
            var nearest = segmentation.NearestIndex(features, out _);
            int? cohort = nearest >= 0 ? segmentation.CohortIds[nearest] : null;
            cohorts[x] = cohort;
            featureRows[x] = features;
            var result = RecommendationPipeline.Recommend(bundle, new ServingRequest
            {
                UserId = scorer.UserId(u),
                CohortId = cohort,
                CohortLabel = nearest >= 0 ? segmentation.Labels[nearest] : null,
                Excluded = new HashSet<string>(scorer.KnownItemIds(u), StringComparer.Ordinal),
                Now = servingNow,
                Count = scorer.K,
                Explore = false,
                // The user grain passes the live profile's features when the version has a ranker; so does the replay.
                ProfileFeatures = features,
            });
            var ids = new string[result.Items.Count];
            for (var p = 0; p < ids.Length; p++)
            {
                ids[p] = result.Items[p].ItemId;
            }

            lists[x] = ids;
            strategies[x] = result.Strategy;
            if (result.Fallback)
            {
                Interlocked.Increment(ref fallbacks);
            }
        });

        return new OfflineResult(lists, cohorts, strategies, featureRows, trainSeconds, watch.Elapsed.TotalSeconds, bundle.Version, fallbacks, bundle.Summary, bundle.Tuning);
    }
}
