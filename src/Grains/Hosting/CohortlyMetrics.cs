using System.Diagnostics.Metrics;
using Cohortly.ServiceDefaults;

namespace Cohortly.Grains.Hosting;

/// <summary>Cohortly's own instruments (meter "Cohortly"), shared by gateway and silos.</summary>
public sealed class CohortlyMetrics
{
    public CohortlyMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(CohortlyTelemetry.MeterName);
        EventsAccepted = meter.CreateCounter<long>("cohortly.events.accepted", "{event}", "Events accepted by the gateway (stream provider took them)");
        EventsRejected = meter.CreateCounter<long>("cohortly.events.rejected", "{event}", "Events rejected by validation or a failed publish");
        EventsApplied = meter.CreateCounter<long>("cohortly.events.applied", "{event}", "Events applied to user profiles");
        EventsDuplicate = meter.CreateCounter<long>("cohortly.events.duplicate", "{event}", "Replayed events ignored by user grains");
        EventsRecovered = meter.CreateCounter<long>("cohortly.events.recovered", "{event}", "Events a user grain read back from the log because the activation that applied them died before saving");
        CohortTransitions = meter.CreateCounter<long>("cohortly.cohort.transitions", "{transition}", "Users moving between cohorts");
        Recommendations = meter.CreateCounter<long>("cohortly.recommendations", "{response}", "Recommendation responses by strategy");
        RecommendationRewards = meter.CreateCounter<long>("cohortly.recommendations.rewards", "{reward}", "Clicks, add-to-carts and purchases on items from a user's last recommendations (bandit rewards)");
        Attribution = meter.CreateCounter<long>("cohortly.attribution", "{event}", "Clicks, add-to-carts and purchases by attribution result (attributed, unmatched, item_not_served, already_counted, position_ignored)");
        ModelLoadFailures = meter.CreateCounter<long>("cohortly.models.load_failures", "{load}", "Model versions a silo could not load (it kept serving the previous one)");
        UserActivation = meter.CreateHistogram<double>("cohortly.user.activation", "ms", "What a user grain's activation spent before its first call, by part (directory, state_read; for a first recommendation also queued, serve, total)");
        UserReads = meter.CreateCounter<long>("cohortly.user.reads", "{read}", "Recommendations and profiles served by the user serving worker, by path (in_place: on the user's activation without a message; message: a call to the user grain)");
        RecommendationFallbacks = meter.CreateCounter<long>("cohortly.recommendations.fallback", "{response}", "Recommendations whose cohort has no model in the active version, served by the global weights instead");

        // Outcomes (tags cohort, variant, strategy): added once per aggregated key and minute when a silo flushes, never per event.
        OutcomeImpressions = meter.CreateCounter<long>("cohortly.outcomes.impressions", "{impression}", "Recommended items served, by cohort, variant and strategy");
        OutcomeClicks = meter.CreateCounter<long>("cohortly.outcomes.clicks", "{click}", "Clicks attributed to served recommendations");
        OutcomeConversions = meter.CreateCounter<long>("cohortly.outcomes.conversions", "{purchase}", "Purchases attributed to served recommendations");
        OutcomeRevenue = meter.CreateCounter<double>("cohortly.outcomes.revenue", null, "Revenue of purchases attributed to served recommendations");
        OutcomesDropped = meter.CreateCounter<long>("cohortly.outcomes.dropped", "{entry}", "Outcome entries (key × minute) a silo dropped because its outbox to an unreachable outcome grain was full");
    }

    public Counter<long> RecommendationRewards { get; }

    /// <summary>User reads (recommendations, profiles) by the serving worker, tag <c>path</c>: in_place or message.</summary>
    public Counter<long> UserReads { get; }

    /// <summary>Milliseconds per part of a user grain's activation (ActivationClock), tag <c>part</c>.</summary>
    public Histogram<double> UserActivation { get; }

    public Counter<long> Attribution { get; }

    public Counter<long> EventsAccepted { get; }

    public Counter<long> EventsRejected { get; }

    public Counter<long> EventsApplied { get; }

    public Counter<long> EventsDuplicate { get; }

    public Counter<long> EventsRecovered { get; }

    public Counter<long> CohortTransitions { get; }

    public Counter<long> Recommendations { get; }

    public Counter<long> ModelLoadFailures { get; }

    public Counter<long> RecommendationFallbacks { get; }

    public Counter<long> OutcomeImpressions { get; }

    public Counter<long> OutcomeClicks { get; }

    public Counter<long> OutcomeConversions { get; }

    public Counter<double> OutcomeRevenue { get; }

    public Counter<long> OutcomesDropped { get; }
}
