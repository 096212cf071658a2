using System.Globalization;
using Cohortly.Contracts;
using Cohortly.Gateway.Security;
using Cohortly.Modeling.Drift;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

/// <summary>One point of a drift statistic's history: when the monitor's pass measured it, the value, the threshold.</summary>
public sealed record DriftPointJson(DateTimeOffset At, double Value, double Threshold);

/// <summary>
/// One statistic's history: the detector (alert source), the cohort (null: all users), the feature (feature PSI only),
/// what the value is, and its points oldest first.
/// </summary>
public sealed record DriftSeriesJson(string Detector, int? CohortId, string? Feature, string Statistic, IReadOnlyList<DriftPointJson> Points);

public sealed record DriftHistoryView(IReadOnlyList<DriftSeriesJson> Series);

public static class DriftEndpoints
{
    public static void MapDrift(this IEndpointRouteBuilder routes) =>
        routes.MapGroup("/v1/drift").WithTags("Drift").RequireAuthorization(Policies.Read)
            .MapGet("/history", History)
            .WithName("DriftHistory")
            .WithSummary("Each drift detector's statistic per monitor pass with its threshold (the last 24 h, kept in memory), optionally of one detector, cohort or feature, since a time");

    private static async Task<Results<Ok<DriftHistoryView>, ValidationProblem>> History(IClusterClient client, string? detector = null, string? cohortId = null, string? feature = null, string? since = null)
    {
        if (!string.IsNullOrEmpty(detector) && !DriftDetection.TryParseSource(detector, out _))
        {
            return Problems.Field("detector", "must be one of drift-reward-rate, drift-feature-psi, drift-cohort-share, drift-fallback-share");
        }

        int? cohort = null;
        if (!string.IsNullOrEmpty(cohortId))
        {
            if (!int.TryParse(cohortId, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var c) || c < IOutcomeGrain.NoCohort)
            {
                return Problems.Field("cohortId", "must be a whole number, -1 (users without a cohort) or more");
            }

            cohort = c;
        }

        DateTimeOffset? from = null;
        if (!string.IsNullOrEmpty(since))
        {
            if (!DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
            {
                return Problems.Field("since", "must be an ISO 8601 date and time, e.g. 2026-12-05T12:00:00Z");
            }

            from = t;
        }

        var series = await client.GetGrain<IDriftMonitorGrain>(IDriftMonitorGrain.Key)
            .GetHistory(new DriftHistoryQuery(string.IsNullOrEmpty(detector) ? null : detector, cohort, string.IsNullOrEmpty(feature) ? null : feature, from));
        return TypedResults.Ok(new DriftHistoryView([.. series.Select(s => new DriftSeriesJson(s.Source, s.CohortId, s.Feature, s.Statistic, [.. s.Points.Select(p => new DriftPointJson(p.At, p.Value, p.Threshold))]))]));
    }
}
