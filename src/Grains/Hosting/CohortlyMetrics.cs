using System.Diagnostics.Metrics;

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
        CohortTransitions = meter.CreateCounter<long>("cohortly.cohort.transitions", "{transition}", "Users moving between cohorts");
        Recommendations = meter.CreateCounter<long>("cohortly.recommendations", "{response}", "Recommendation responses by strategy");
        ModelLoadFailures = meter.CreateCounter<long>("cohortly.models.load_failures", "{load}", "Model versions a silo could not load (it kept serving the previous one)");
        RecommendationFallbacks = meter.CreateCounter<long>("cohortly.recommendations.fallback", "{response}", "Recommendations served without a trained model (none loaded or it failed)");
    }

    public Counter<long> EventsAccepted { get; }

    public Counter<long> EventsRejected { get; }

    public Counter<long> EventsApplied { get; }

    public Counter<long> EventsDuplicate { get; }

    public Counter<long> CohortTransitions { get; }

    public Counter<long> Recommendations { get; }

    public Counter<long> ModelLoadFailures { get; }

    public Counter<long> RecommendationFallbacks { get; }
}
