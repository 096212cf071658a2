using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cohortly.Bench;

/// <summary>
/// What differs between the served and the offline lists, user by user (<c>replay --diff-out FILE</c>): one JSON line per
/// test user whose lists differ, with both cohorts and strategies, the offline features and the live profile (its
/// membership: cohort, segmentation version, since). Also an id-independent cohort agreement: online cohort ids are
/// mapped to the offline cohort most of their users have, so ids inherited from an earlier segmentation version do not
/// count as disagreement.
/// </summary>
internal static class ReplayDiff
{
    public static string Agreement(RecommendationsAnswer?[] answers, OfflineResult offline)
    {
        var pairs = new Dictionary<(int, int), int>();
        var total = 0;
        for (var x = 0; x < answers.Length; x++)
        {
            if (answers[x]?.CohortId is { } on && offline.Cohorts[x] is { } off)
            {
                pairs[(on, off)] = pairs.GetValueOrDefault((on, off)) + 1;
                total++;
            }
        }

        var best = new Dictionary<int, int>();
        foreach (var ((on, _), n) in pairs)
        {
            best[on] = Math.Max(best.GetValueOrDefault(on), n);
        }

        var agree = 0;
        foreach (var n in best.Values)
        {
            agree += n;
        }

        return string.Create(CultureInfo.InvariantCulture, $"cohort agreement (online ids mapped to their majority offline cohort) {agree}/{total}; pairs {string.Join(", ", pairs.OrderBy(p => p.Key).Select(p => $"{p.Key.Item1}->{p.Key.Item2}:{p.Value}"))}");
    }

    public static async Task Write(string path, CohortlyApiClient http, ParityScorer scorer, int[] users, RecommendationsAnswer?[] answers, OfflineResult offline, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(path);
        for (var x = 0; x < users.Length; x++)
        {
            var a = answers[x]?.Items ?? [];
            var b = offline.Lists[x] ?? [];
            if (a.SequenceEqual(b))
            {
                continue;
            }

            var id = scorer.UserId(users[x]);
            var line = new JsonObject
            {
                ["user"] = id,
                ["onlineCohort"] = answers[x]?.CohortId,
                ["offlineCohort"] = offline.Cohorts[x],
                ["onlineStrategy"] = answers[x]?.Strategy,
                ["offlineStrategy"] = offline.Strategies[x],
                ["onlineVersion"] = answers[x]?.ModelVersion,
                ["online"] = new JsonArray(a.Select(i => (JsonNode?)i).ToArray()),
                ["offline"] = new JsonArray(b.Select(i => (JsonNode?)i).ToArray()),
                ["offlineFeatures"] = offline.Features[x] is { } f ? new JsonArray(f.Select(v => (JsonNode?)v).ToArray()) : null,
                ["profile"] = await http.ProfileAsync(id, cancellationToken),
            };
            await writer.WriteLineAsync(line.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        }
    }
}
