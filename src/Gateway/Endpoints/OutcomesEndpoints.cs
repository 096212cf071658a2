using System.Globalization;
using Cohortly.Contracts;
using Cohortly.Gateway.Security;
using Cohortly.Modeling.Outcomes;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Cohortly.Gateway.Endpoints;

/// <summary>
/// Outcomes over [From, To): From is aligned down to the bucket width. Granularity: minute, hour or day; GroupBy: cohort,
/// strategy, variant or modelVersion. Each group has its totals and one point per bucket with outcomes, oldest first.
/// </summary>
public sealed record OutcomeReportView(DateTimeOffset From, DateTimeOffset To, string Granularity, string GroupBy, IReadOnlyList<OutcomeGroupView> Groups);

/// <summary>Key: the cohort id (-1: no cohort), strategy, "experiment/variant" ("none" outside experiments) or model version.</summary>
public sealed record OutcomeGroupView(string Key, OutcomeMetrics Total, IReadOnlyList<OutcomePointView> Points);

public sealed record OutcomePointView(DateTimeOffset Start, OutcomeMetrics Metrics);

public static class OutcomesEndpoints
{
    /// <summary>Most buckets one query may span (a day of minutes, two months of hours, four years of days).</summary>
    public const int MaxBuckets = 1500;

    public static void MapOutcomes(this IEndpointRouteBuilder routes)
    {
        // Admin key until the analyst role exists.
        routes.MapGroup("/v1/outcomes").WithTags("Outcomes").RequireAuthorization(Policies.Read)
            .MapGet("/", AllCohorts)
            .WithName("GetOutcomes")
            .WithSummary("Impressions, exposures, clicks, conversions and revenue with rates and 95% intervals, per bucket and group, over all cohorts");
        routes.MapGroup("/v1/cohorts").WithTags("Cohorts").RequireAuthorization(Policies.Read)
            .MapGet("/{cohortId}/outcomes", OneCohort)
            .WithName("GetCohortOutcomes")
            .WithSummary("The outcomes of one cohort (-1: users without a cohort)");
        routes.MapGroup("/v1/cohorts").WithTags("Cohorts").RequireAuthorization(Policies.Read)
            .MapGet("/{cohortId}/policy-evaluation", EvaluatePolicies)
            .WithName("GetCohortPolicyEvaluation")
            .WithSummary("Off-policy evaluation: the click rate per exploration slot each ε'-greedy candidate would have had, from the cohort's logged ε-greedy decisions (IPS and self-normalised IPS, 95% intervals)");
    }

    /// <summary>Most candidate ε' values one evaluation may ask for.</summary>
    public const int MaxCandidates = 20;

    private static readonly double[] DefaultCandidates = [0, 0.05, 0.1, 0.2];

    private static async Task<Results<Ok<PolicyEvaluationReport>, ValidationProblem>> EvaluatePolicies(
        string cohortId, IClusterClient client, TimeProvider time, string? epsilon = null, string? from = null, string? to = null)
    {
        if (!int.TryParse(cohortId, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id) || id < IOutcomeGrain.NoCohort)
        {
            return Problems.Field("cohortId", "must be a whole number, -1 (users without a cohort) or more");
        }

        var candidates = DefaultCandidates;
        if (!string.IsNullOrEmpty(epsilon))
        {
            var parts = epsilon.Split(',', StringSplitOptions.TrimEntries);
            if (parts.Length > MaxCandidates)
            {
                return Problems.Field("epsilon", $"at most {MaxCandidates} comma-separated values");
            }

            candidates = new double[parts.Length];
            for (var i = 0; i < parts.Length; i++)
            {
                if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out candidates[i]) || !(candidates[i] is >= 0 and <= 1))
                {
                    return Problems.Field("epsilon", $"'{parts[i]}' is not a number between 0 and 1 (a comma-separated list such as 0.05,0.1,0.2)");
                }
            }
        }

        var end = time.GetUtcNow();
        if (!string.IsNullOrEmpty(to) && !TryTime(to, out end))
        {
            return Problems.Field("to", "must be an ISO 8601 time (UTC unless an offset is given), such as 2026-01-31T12:00:00Z");
        }

        var start = end - TimeSpan.FromDays(7);
        if (!string.IsNullOrEmpty(from) && !TryTime(from, out start))
        {
            return Problems.Field("from", "must be an ISO 8601 time (UTC unless an offset is given), such as 2026-01-31T00:00:00Z");
        }

        if (start >= end)
        {
            return Problems.Field("from", "must be before to");
        }

        var report = await client.GetGrain<IOutcomeReportGrain>(IOutcomeReportGrain.Key)
            .EvaluatePolicies(new PolicyEvaluationQuery(id, start, end, candidates));
        return TypedResults.Ok(report);
    }

    private static Task<Results<Ok<OutcomeReportView>, ValidationProblem>> AllCohorts(
        IClusterClient client, TimeProvider time, string? from = null, string? to = null, string? granularity = null, string? groupBy = null) =>
        Query(client, time, null, from, to, granularity, groupBy);

    private static async Task<Results<Ok<OutcomeReportView>, ValidationProblem>> OneCohort(
        string cohortId, IClusterClient client, TimeProvider time, string? from = null, string? to = null, string? granularity = null, string? groupBy = null)
    {
        if (!int.TryParse(cohortId, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id) || id < IOutcomeGrain.NoCohort)
        {
            return Problems.Field("cohortId", "must be a whole number, -1 (users without a cohort) or more");
        }

        return await Query(client, time, id, from, to, granularity, groupBy);
    }

    private static async Task<Results<Ok<OutcomeReportView>, ValidationProblem>> Query(
        IClusterClient client, TimeProvider time, int? cohortId, string? from, string? to, string? granularity, string? groupBy)
    {
        if (Validate(time, from, to, granularity, groupBy, out var query) is { } problem)
        {
            return problem;
        }

        var report = await client.GetGrain<IOutcomeReportGrain>(IOutcomeReportGrain.Key).Query(query with { CohortId = cohortId });
        return TypedResults.Ok(View(report));
    }

    private static ValidationProblem? Validate(TimeProvider time, string? from, string? to, string? granularity, string? groupBy, out OutcomeQuery query)
    {
        query = null!;
        OutcomeGranularity g;
        switch (granularity)
        {
            case null or "" or "hour":
                g = OutcomeGranularity.Hour;
                break;
            case "minute":
                g = OutcomeGranularity.Minute;
                break;
            case "day":
                g = OutcomeGranularity.Day;
                break;
            default:
                return Problems.Field("granularity", "must be minute, hour or day");
        }

        OutcomeGroupBy by;
        switch (groupBy)
        {
            case null or "" or "strategy":
                by = OutcomeGroupBy.Strategy;
                break;
            case "cohort":
                by = OutcomeGroupBy.Cohort;
                break;
            case "variant":
                by = OutcomeGroupBy.Variant;
                break;
            case "modelVersion":
                by = OutcomeGroupBy.ModelVersion;
                break;
            case "rule":
                by = OutcomeGroupBy.Rule;
                break;
            default:
                return Problems.Field("groupBy", "must be cohort, strategy, variant, modelVersion or rule");
        }

        var end = time.GetUtcNow();
        if (!string.IsNullOrEmpty(to) && !TryTime(to, out end))
        {
            return Problems.Field("to", "must be an ISO 8601 time (UTC unless an offset is given), such as 2026-01-31T12:00:00Z");
        }

        var start = end - DefaultSpan(g);
        if (!string.IsNullOrEmpty(from) && !TryTime(from, out start))
        {
            return Problems.Field("from", "must be an ISO 8601 time (UTC unless an offset is given), such as 2026-01-31T00:00:00Z");
        }

        if (start >= end)
        {
            return Problems.Field("from", "must be before to");
        }

        var buckets = OutcomeTime.BucketCount(g, start, end);
        if (buckets > MaxBuckets)
        {
            return Problems.Field("from", $"the range spans {buckets} {granularity ?? "hour"} buckets; at most {MaxBuckets} (use a coarser granularity)");
        }

        query = new OutcomeQuery(null, start, end, g, by);
        return null;
    }

    private static TimeSpan DefaultSpan(OutcomeGranularity granularity) => granularity switch
    {
        OutcomeGranularity.Minute => TimeSpan.FromHours(1),
        OutcomeGranularity.Hour => TimeSpan.FromDays(1),
        _ => TimeSpan.FromDays(30),
    };

    private static bool TryTime(string text, out DateTimeOffset value) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value)
        && value.Year is >= 2000 and <= 9000;

    private static OutcomeReportView View(OutcomeReport r)
    {
        var groups = new List<OutcomeGroupView>(r.Groups.Count);
        foreach (var g in r.Groups)
        {
            groups.Add(new OutcomeGroupView(g.Key, g.Total, [.. g.Points.Select(p => new OutcomePointView(p.Start, p.Metrics))]));
        }

        return new OutcomeReportView(r.From, r.To, Name(r.Granularity), Name(r.GroupBy), groups);
    }

    private static string Name(OutcomeGranularity g) => g switch
    {
        OutcomeGranularity.Minute => "minute",
        OutcomeGranularity.Day => "day",
        _ => "hour",
    };

    private static string Name(OutcomeGroupBy g) => g switch
    {
        OutcomeGroupBy.Cohort => "cohort",
        OutcomeGroupBy.Variant => "variant",
        OutcomeGroupBy.ModelVersion => "modelVersion",
        _ => "strategy",
    };
}
