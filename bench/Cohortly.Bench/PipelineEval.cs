using System.Diagnostics;
using System.Globalization;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Training;

namespace Cohortly.Bench;

/// <summary>
/// <c>evaluate --pipeline</c>: the server's own training run (<see cref="TrainingPipeline.Run"/>, default options) on a
/// data set, reporting what a version records about its learned ranker and purchase model — per cohort, the ranker's
/// NDCG@10 against the blend's on the ranker's comparison users (holdout users it did not learn from, the same
/// candidates in both orders), and the purchase model's ROC-AUC, log loss and reliability on its held-out users. Usage:
/// evaluate --pipeline --data PATH --format ml100k [--preset recbole] [--seed 2024] [--tuning on|off]   (the replay's events: train + valid)
/// evaluate --pipeline --synthetic [--users 3000] [--items 1000] [--days 60] [--seed 1]   (the demo's seeded shop)
/// </summary>
internal static class PipelineEval
{
    public static int Run(BenchArgs a)
    {
        var seed = a.GetInt("seed", a.Has("synthetic") ? 1 : 2024);
        IReadOnlyList<Interaction> events;
        IReadOnlyList<ItemInfo> catalog;
        DateTimeOffset now;
        string name;
        if (a.Has("synthetic"))
        {
            var users = a.GetInt("users", 3000);
            var items = a.GetInt("items", 1000);
            var days = a.GetInt("days", 60);
            var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = users, Items = items, Categories = 20 }, seed);
            now = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
            var history = world.History(now, days, new Random(seed + 1));
            var list = new List<Interaction>(history.Count);
            foreach (var e in history)
            {
                list.Add(e.ToInteraction());
            }

            events = list;
            var items2 = new List<ItemInfo>(world.Items.Count);
            foreach (var item in world.Items)
            {
                items2.Add(new ItemInfo(item.Id, [item.Category], item.Price));
            }

            catalog = items2;
            name = $"synthetic shop ({users} users, {items} items, {days} days, seed {seed})";
        }
        else
        {
            var data = ReplayData.Load(a, seed);
            var list = new List<Interaction>(data.Events.Count);
            foreach (var e in data.Events)
            {
                list.Add(e.Interaction);
            }

            events = list;
            catalog = data.CatalogItems();
            now = DateTimeOffset.FromUnixTimeMilliseconds(data.LastTimestampMs);
            name = $"{data.Name} ({data.Protocol}; train + valid events)";
        }

        var watch = Stopwatch.StartNew();
        var defaults = new TrainingOptions();
        var options = defaults with
        {
            Tuning = new TrainingTuningOptions { Enabled = ReplayCommand.TuningFlag(a) },
            // Match the server's Cohortly:Training:EaseNeighbors / :EaseMaxItems when they are set there.
            EaseNeighbors = a.GetInt("ease-neighbors", defaults.EaseNeighbors),
            EaseMaxItems = a.GetInt("ease-max-items", defaults.EaseMaxItems),
        };
        var bundle = TrainingPipeline.Run(new TrainingInput(events, catalog, [], null, 1, now), options, null, CancellationToken.None);
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine($"# cohortly evaluate --pipeline: {name}; {events.Count} events; {Environment.ProcessorCount} cores, .NET {Environment.Version}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine(string.Create(c, $"trained in {watch.Elapsed.TotalSeconds:F1} s: {bundle.Segmentation.CohortIds.Count} cohorts; holdout NDCG@10 global {bundle.Summary.HoldoutNdcgGlobal:F4}, served blend {bundle.Summary.HoldoutNdcgCohort:F4}"));
        foreach (var stage in bundle.Summary.Stages)
        {
            Console.Write(string.Create(c, $"{stage.Stage} {stage.Seconds:F1}s; "));
        }

        Console.WriteLine();
        Console.WriteLine($"tuning: {ReplayCommand.TuningLine(bundle.Tuning)}");
        foreach (var t in bundle.Tuning?.Trials ?? [])
        {
            Console.WriteLine(string.Create(c, $"  {t.Family} [{t.Parameters}] ndcg@10 {t.Ndcg:F4} ({t.Seconds:F2}s)"));
        }

        if (bundle.Ranker is { } ranker)
        {
            Console.WriteLine($"ranker: {ranker.Reason}; {ranker.Candidates} candidates; {ranker.Model?.TreeCount ?? 0} trees");
            Console.WriteLine("| cohort | label | comparison users | blend NDCG@10 | ranker NDCG@10 | gain ± SE | serves |");
            Console.WriteLine("|---|---|---:|---:|---:|---:|---|");
            foreach (var r in ranker.Cohorts)
            {
                var label = bundle.Segmentation.LabelOf(r.CohortId) ?? "";
                Console.WriteLine(string.Create(c, $"| {r.CohortId} | {label} | {r.Users} | {r.BlendNdcg:F4} | {r.RankerNdcg:F4} | {r.RankerNdcg - r.BlendNdcg:+0.0000;-0.0000} ± {r.StandardError:F4} | {(r.Serves ? "yes" : "no")} |"));
            }
        }

        if (bundle.Purchase is { } purchase)
        {
            Console.WriteLine(purchase.Model is null
                ? $"purchase model: none ({purchase.Reason})"
                : string.Create(c, $"purchase model ({purchase.Window.TotalDays:0} days): ROC-AUC {purchase.RocAuc:F4}, log loss {purchase.LogLoss:F4}, base rate {purchase.PositiveRate:F4}, {purchase.TrainingUsers} training / {purchase.HoldoutUsers} holdout users"));
            foreach (var b in purchase.Reliability)
            {
                Console.WriteLine(string.Create(c, $"  bin {b.Bin}: {b.Count} users, predicted {b.MeanPredicted:F3} (range {b.MinPredicted:F3}..{b.MaxPredicted:F3}), observed {b.ObservedRate:F3}"));
            }
        }

        return 0;
    }
}
