using System.Diagnostics;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Cohortly.Modeling.Cohorts;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Bench;

/// <summary>
/// Offline evaluation: load, filter and split (or read a pre-split directory), tune every model on validation,
/// report test once (with --refit also the selected configuration fitted again on train + validation; with --seeds N
/// the mean ± sd over N seeds). Flags: <see cref="BenchHelp"/> (`evaluate --help`).
/// </summary>
internal static class EvaluateCommand
{
    public static Task<int> RunAsync(string[] args)
    {
        BenchArgs a;
        try
        {
            a = new BenchArgs(args);
            return Task.FromResult(a.Has("synthetic-context") ? ContextEvaluation.Run(a) : Run(a));
        }
        catch (Exception e) when (e is ArgumentException or DataFormatException or FileNotFoundException or DirectoryNotFoundException or InvalidOperationException)
        {
            Console.Error.WriteLine($"evaluate: {e.Message}");
            return Task.FromResult(2);
        }
    }

    private static int Run(BenchArgs a)
    {
        if (a.Has("pipeline"))
        {
            return PipelineEval.Run(a);
        }

        var seed = a.GetInt("seed", 2024);
        var seeds = a.GetInt("seeds", 1);
        if (seeds < 1)
        {
            throw new ArgumentException("--seeds must be at least 1");
        }

        var refit = a.Has("refit");
        var protocol = EvaluationProtocol.Parse(a.Get("preset") ?? "recbole");
        if (a.Get("min-value") is { } minValue)
        {
            // "none" drops the preset's threshold; a number replaces it.
            protocol = protocol with { MinValue = minValue == "none" ? null : float.Parse(minValue, CultureInfo.InvariantCulture) };
        }

        if (a.Get("kcore") is not null)
        {
            var core = a.GetInt("kcore", 10);
            protocol = protocol with { MinInteractionsPerUser = core, MinInteractionsPerItem = core };
        }

        protocol = protocol with { K = a.GetInt("k", protocol.K) };
        var modelNames = (a.Get("models") ?? EvalModels.DefaultList).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var m in modelNames)
        {
            if (!EvalModels.All.ContainsKey(m))
            {
                throw new ArgumentException($"unknown model '{m}' (known: {string.Join(", ", EvalModels.All.Keys)})");
            }
        }

        var watch = Stopwatch.StartNew();
        DatasetSplit? fixedSplit = null;
        Func<int, InteractionDataset>? newWorld = null;
        InteractionDataset? rawData = null;
        InteractionDataset? filtered = null;
        string datasetName;
        string protocolText;
        if (a.Get("split-dir") is { } splitDir)
        {
            fixedSplit = SplitDirectoryReader.Read(splitDir);
            datasetName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(splitDir)));
            protocolText = $"pre-split {splitDir}; full ranking excluding train (valid) items; k={protocol.K}";
        }
        else
        {
            InteractionDataset raw;
            if (a.Get("synthetic") is not null)
            {
                var users = a.GetInt("synthetic", 2000);
                var days = a.GetInt("synthetic-days", 30);
                var planted = a.Has("synthetic-repeats") ? new Demo.Synthetic.PlantedRepeats() : null;
                raw = EvalSynthetic.Create(users, repeats: planted, days: days);
                if (a.Has("synthetic-world-per-seed"))
                {
                    // Seed s draws its own world (world seed 7 + s), so a deterministic model on a temporal split still
                    // shows how much its numbers move with the data.
                    newWorld = s => EvalSynthetic.Create(users, seed: 7 + s, repeats: planted, days: days);
                }

                datasetName = EvalSynthetic.Name(users) + (planted is null ? "" : "-repeats") + (days == 30 ? "" : string.Create(CultureInfo.InvariantCulture, $"-{days}d"));
            }
            else
            {
                var path = a.Require("data");
                raw = DatasetLoader.Load(DatasetLoader.ParseFormat(a.Require("format")), path);
                datasetName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));
            }

            rawData = raw;
            filtered = protocol.Filter(raw);
            Console.Error.WriteLine($"loaded {raw.Count} interactions ({raw.UserCount} users, {raw.ItemCount} items); after filter {filtered.Count} ({filtered.UserCount} users, {filtered.ItemCount} items) in {watch.Elapsed.TotalSeconds:F1}s");
            protocolText = Describe(protocol);
        }

        if (refit)
        {
            protocolText += "; refit: the selected configuration fitted again on train + validation (a pair in both once) before the test";
        }

        var runs = new List<SeedRun>();
        for (var s = 0; s < seeds; s++)
        {
            var runSeed = seed + s;
            if (newWorld is not null && s > 0)
            {
                filtered = protocol.Filter(newWorld(s));
            }

            // A random split changes with the seed; a temporal one only through the models' seeds.
            var split = fixedSplit ?? protocol.SplitData(filtered!, new Random(runSeed));
            var cuts = split.ValidationCut is { } vc ? $"; cuts: validation {DateTimeOffset.FromUnixTimeSeconds(vc):u}, test {DateTimeOffset.FromUnixTimeSeconds(split.TestCut!.Value):u}" : "";
            Console.Error.WriteLine($"split: train {split.Train.Count}, valid {split.Validation.Count}, test {split.Test.Count}; seed {runSeed}{cuts}");
            if (s == 0 && a.Get("dump-split") is { } dumpDir)
            {
                // Lets another tool (or a cross-check script) evaluate on exactly this split; never commit the output.
                EvalSplitDump.Write(split, dumpDir);
                Console.Error.WriteLine($"wrote split to {dumpDir}");
            }

            runs.Add(EvaluateSplit(a, split, protocol, modelNames, runSeed, refit));
        }

        var first = runs[0];
        PurchaseReport? purchase = null;
        if (a.Has("purchase"))
        {
            // On the unfiltered events: the question is about users' next window, not about the ranking protocol.
            var split = fixedSplit ?? protocol.SplitData(filtered!, new Random(seed));
            var events = rawData ?? InteractionDataset.Concat(InteractionDataset.Concat(split.Train, split.Validation), split.Test);
            purchase = PurchaseReport.Run(events, a.GetInt("purchase-window-days", 28), (float)a.GetDouble("purchase-min-value", 4), seed);
        }

        if (seeds == 1)
        {
            PrintTable(first.Rows, protocol.K, refit);
            foreach (var r in first.Rows)
            {
                if (r.Cohorts is { } c)
                {
                    PrintCohortTable(r.Name, c, protocol.K);
                }
            }
        }
        else
        {
            // Per seed, the cohorts' adoption and evidence (the summary below has only the overall means).
            for (var s = 0; s < runs.Count; s++)
            {
                foreach (var r in runs[s].Rows)
                {
                    if (r.Cohorts is { } c)
                    {
                        PrintCohortTable($"{r.Name} (seed {seed + s})", c, protocol.K);
                    }
                }
            }

            SeedSummary.Print(runs.ConvertAll(r => r.Rows.ConvertAll(m => new SeedSummary.Score(m.Name, m.Test.Overall.Ndcg, m.Test.Overall.Recall, m.Refit?.Overall.Ndcg, m.TrainSeconds))), protocol.K, seed);
        }

        purchase?.Print();
        if (a.Get("json") is { } jsonPath)
        {
            WriteJson(jsonPath, datasetName, protocolText, first.Rows, protocol.K, first.GroupNames, purchase);
            Console.Error.WriteLine($"wrote {jsonPath}{(seeds > 1 ? " (the first seed's run)" : "")}");
        }

        return 0;
    }

    private sealed record SeedRun(List<ModelRow> Rows, IReadOnlyList<string> GroupNames);

    private static SeedRun EvaluateSplit(BenchArgs a, DatasetSplit split, EvaluationProtocol protocol, string[] modelNames, int seed, bool refit)
    {
        int[]? groups = null;
        IReadOnlyList<string> groupNames = [];
        var cohortAttribute = a.Get("cohorts") ?? (Array.Exists(modelNames, m => m.Equals("cohort", StringComparison.OrdinalIgnoreCase)) ? "profile" : null);
        // Every feature reads the fitting history only: train, or train + validation for the refit; under a global-time
        // split both end before the test cut (EvaluationHistory checks it).
        var history = EvaluationHistory.ForTest(split, refit: false);
        if (cohortAttribute == "profile")
        {
            var k = a.GetInt("cohort-k", 0);
            var assignment = CohortAssignment.FromTraining(history, new CohortAssignmentOptions
            {
                Segmentation = new Modeling.Segmentation.SegmentationOptions { K = k, MinK = 2, MaxK = 8, Seed = seed },
            });
            groups = assignment.UserGroups;
            groupNames = assignment.Labels;
            Console.Error.WriteLine($"profile cohorts: k={assignment.Count} ({(assignment.KChosenBySilhouette ? "chosen by silhouette in 2..8" : "fixed")}); sizes {string.Join(", ", assignment.GroupSizes)}; {string.Join(" | ", assignment.Labels)}");
        }
        else if (cohortAttribute is { } attribute)
        {
            groups = split.Catalog.GroupUsersBy(attribute, out groupNames);
            if (groupNames.Count == 0)
            {
                throw new ArgumentException($"no user has the attribute '{attribute}'");
            }
        }

        var train = new TrainingData(history, groups);
        var evaluatorOptions = new RankingEvaluatorOptions { K = protocol.K, UserGroups = groups };
        var validation = RankingEvaluator.ForValidation(split, evaluatorOptions);
        var test = RankingEvaluator.ForTest(split, evaluatorOptions);
        var fitted = new Dictionary<string, IRecommender>(StringComparer.OrdinalIgnoreCase);
        var context = new EvalContext(train, seed, a.GetInt("factors", 64), fitted, SparseMatrix.UserItem(split.Validation))
        {
            // "insample" adopts a cohort's weights whenever they beat global on its validation users (no out-of-fold
            // test): a diagnostic showing what the selection gate protects against, not a setting to ship.
            CohortOptions = a.Get("cohort-gate") switch
            {
                null or "oof" => new CohortStrategyOptions { MinGainStandardErrors = a.GetDouble("cohort-z", 2), Forms = CohortForms(a.Get("cohort-forms")) },
                "insample" => new CohortStrategyOptions { MinGain = double.NegativeInfinity, MinGainStandardErrors = -1e9, Forms = CohortForms(a.Get("cohort-forms")) },
                var other => throw new ArgumentException($"unknown --cohort-gate '{other}' (expected oof or insample)"),
            },
        };
        var search = new CoordinateSearch(train, validation, seed);
        var rows = new List<ModelRow>();
        var selected = new List<(string Name, SearchResult Result)>();
        foreach (var name in modelNames)
        {
            var tunable = EvalModels.All[name](context);
            var result = search.Run(tunable, t => Console.Error.WriteLine(
                $"  {tunable.Name} [{CoordinateSearch.Format(t.Parameters)}] valid ndcg@{protocol.K}={t.Objective:F4} ({t.TrainSeconds:F2}s)"));
            fitted[name] = result.BestModel;
            selected.Add((name, result));
            var tested = test.Evaluate(result.BestModel);
            var seconds = result.Best.TrainSeconds + ReusedComponentSeconds(result.Best.Parameters, rows);
            if (result.BestModel is Modeling.Ranking.LambdaMartRanker ranker)
            {
                var gains = ranker.GainImportance();
                var named = new List<(string Name, double Gain)>();
                for (var f = 0; f < gains.Length; f++)
                {
                    named.Add((ranker.FeatureNames[f], gains[f]));
                }

                named.Sort(static (x, y) => y.Gain.CompareTo(x.Gain));
                Console.Error.WriteLine($"ranker: {ranker.TreeCount} trees kept (best held-out round); top gain features: {string.Join(", ", named.GetRange(0, Math.Min(6, named.Count)).ConvertAll(n => string.Create(CultureInfo.InvariantCulture, $"{n.Name}={n.Gain:G3}")))}");
            }

            var cohortRows = result.BestModel is CohortAwareRecommender cohortModel ? CohortRows(cohortModel, tested, test.Evaluate(cohortModel.GlobalOnly()), groupNames) : null;
            rows.Add(new ModelRow(tunable.Name, result.Best.Parameters, seconds, result.Best.Objective, tested, cohortRows));
            Console.Error.WriteLine($"{tunable.Name}: best valid ndcg@{protocol.K}={result.Best.Objective:F4} with [{CoordinateSearch.Format(result.Best.Parameters)}] after {result.Trials.Count} trials; test ndcg@{protocol.K}={tested.Overall.Ndcg:F4}");
        }

        var buyAgainRows = BuyAgainRows(a, split, test, fitted, rows, protocol.K);
        if (refit)
        {
            var refitted = EvalRefit.Run(context, new TrainingData(EvaluationHistory.ForTest(split, refit: true), groups), selected, test, seed);
            for (var r = 0; r < rows.Count; r++)
            {
                if (refitted.TryGetValue(selected[r].Name, out var result))
                {
                    rows[r] = rows[r] with { Refit = result };
                    Console.Error.WriteLine($"{rows[r].Name}: refit on train + validation: test ndcg@{protocol.K}={result.Overall.Ndcg:F4}");
                }
            }
        }

        rows.AddRange(buyAgainRows);
        return new SeedRun(rows, groupNames);
    }

    /// <summary>
    /// With <c>--buy-again SLOTS</c>, a "model+buy-again" row per model of <c>--buy-again-models</c> (default blend):
    /// its test lists with the due repeat items in the leading slots (<see cref="EvalBuyAgain"/>).
    /// </summary>
    private static List<ModelRow> BuyAgainRows(BenchArgs a, DatasetSplit split, RankingEvaluator test, Dictionary<string, IRecommender> fitted, List<ModelRow> rows, int k)
    {
        var result = new List<ModelRow>();
        if (a.Get("buy-again") is null)
        {
            return result;
        }

        var slots = a.GetInt("buy-again", 2);
        if (slots < 1 || slots > k)
        {
            throw new ArgumentException($"--buy-again must be between 1 and k ({k})");
        }

        var policyName = a.Get("repeat-policy") ?? "interval";
        if (!Modeling.Repeats.RepeatPolicies.TryParse(policyName, out var policy) || policy == Modeling.Repeats.RepeatPolicy.Never)
        {
            throw new ArgumentException($"--repeat-policy must be interval or always, not '{policyName}'");
        }

        foreach (var name in (a.Get("buy-again-models") ?? "blend").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var row = rows.Find(r => r.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (row is null || !fitted.TryGetValue(name, out var model))
            {
                throw new ArgumentException($"--buy-again-models: '{name}' is not among the evaluated --models");
            }

            var outcome = EvalBuyAgain.Run(test, model, split, slots, policy);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{row.Name}+buy-again ({slots} slots, {Modeling.Repeats.RepeatPolicies.Name(policy)}): repeat pairs {outcome.RepeatShare:P1} of the test; {outcome.Repeaters} re-bought (user, item) pairs in the history; {outcome.UsersWithDue} users with a due item, {outcome.DueServed} served, {outcome.DueHits} hits; test ndcg@{k}={outcome.Test.Overall.Ndcg:F4} (without {row.Test.Overall.Ndcg:F4})"));
            result.Add(new ModelRow(row.Name + "+buy-again", row.Parameters, row.TrainSeconds, row.ValidObjective, outcome.Test));
        }

        return result;
    }

    // A family built on already fitted models (weights named "w_<model>") is charged those models' training time.
    private static double ReusedComponentSeconds(IReadOnlyDictionary<string, double> parameters, List<ModelRow> earlier)
    {
        var seconds = 0.0;
        foreach (var (key, weight) in parameters)
        {
            if (key.StartsWith("w_", StringComparison.Ordinal) && weight != 0)
            {
                foreach (var row in earlier)
                {
                    if (row.Name.Equals(key[2..], StringComparison.OrdinalIgnoreCase))
                    {
                        seconds += row.TrainSeconds;
                    }
                }
            }
        }

        return seconds;
    }

    private static string Describe(EvaluationProtocol p)
        => string.Create(CultureInfo.InvariantCulture, $"{p.Name}: value>={p.MinValue?.ToString(CultureInfo.InvariantCulture) ?? "any"}, {p.MinInteractionsPerUser}-core users/{p.MinInteractionsPerItem}-core items, {p.Split} {p.Ratios.Train}/{p.Ratios.Validation}/{p.Ratios.Test}, full ranking excluding the user's train (and for test, valid) items, k={p.K}; tuned on valid, reported on test");

    private static void PrintTable(List<ModelRow> rows, int k, bool refit)
    {
        var at = "@" + k.ToString(CultureInfo.InvariantCulture);
        List<string> headerList = ["model", "ndcg" + at, "recall" + at, "mrr" + at, "hit" + at, "precision" + at, "coverage", "diversity", "novelty", "train s", "refit ndcg" + at, "params"];
        if (!refit)
        {
            headerList.RemoveAt(10);
        }

        var headers = headerList.ToArray();
        var table = new List<string[]> { headers };
        foreach (var r in rows)
        {
            var m = r.Test.Overall;
            List<string> cells =
            [
                r.Name, F(m.Ndcg), F(m.Recall), F(m.Mrr), F(m.Hit), F(m.Precision), F(m.Coverage), F(m.Diversity), F(m.Novelty),
                r.TrainSeconds.ToString("F2", CultureInfo.InvariantCulture), r.Refit is { } f ? F(f.Overall.Ndcg) : "-", CoordinateSearch.Format(r.Parameters),
            ];
            if (!refit)
            {
                cells.RemoveAt(10);
            }

            table.Add(cells.ToArray());
        }

        var widths = new int[headers.Length];
        foreach (var row in table)
        {
            for (var c = 0; c < row.Length; c++)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
            }
        }

        foreach (var row in table)
        {
            var cells = new string[row.Length];
            for (var c = 0; c < row.Length; c++)
            {
                cells[c] = c == 0 || c == row.Length - 1 ? row[c].PadRight(widths[c]) : row[c].PadLeft(widths[c]);
            }

            Console.WriteLine(string.Join("  ", cells).TrimEnd());
        }

        static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
    }

    private static void WriteJson(string path, string dataset, string protocol, List<ModelRow> rows, int k, IReadOnlyList<string> groupNames, PurchaseReport? purchase)
    {
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteString("dataset", dataset);
        w.WriteString("protocol", protocol);
        w.WriteStartArray("models");
        foreach (var r in rows)
        {
            w.WriteStartObject();
            w.WriteString("name", r.Name);
            w.WriteStartObject("params");
            foreach (var (name, value) in r.Parameters)
            {
                w.WriteNumber(name, value);
            }

            w.WriteEndObject();
            w.WriteNumber("train_seconds", Math.Round(r.TrainSeconds, 3));
            w.WriteNumber("valid_ndcg@" + k.ToString(CultureInfo.InvariantCulture), r.ValidObjective);
            w.WritePropertyName("overall");
            WriteMetrics(w, r.Test.Overall, k);
            if (r.Refit is { } refitted)
            {
                // The same configuration fitted again on train + validation, scored on the same test users.
                w.WritePropertyName("refit");
                WriteMetrics(w, refitted.Overall, k);
            }

            w.WriteStartArray("cohorts");
            foreach (var (group, metrics) in r.Test.ByGroup)
            {
                w.WriteStartObject();
                w.WriteNumber("id", group);
                var label = group < groupNames.Count ? groupNames[group] : group.ToString(CultureInfo.InvariantCulture);
                w.WriteString("name", label);
                w.WriteString("label", label);
                w.WriteNumber("users", metrics.Users);
                if (r.Cohorts?.Find(c => c.Group == group) is { } c)
                {
                    // Test NDCG of the cohort model and of its global backbone on this cohort, plus the validation evidence.
                    w.WriteBoolean("adapted", c.Adapted);
                    w.WriteNumber("ndcg@" + k.ToString(CultureInfo.InvariantCulture), c.TestNdcg);
                    w.WriteNumber("global_ndcg@" + k.ToString(CultureInfo.InvariantCulture), c.GlobalTestNdcg);
                    w.WriteNumber("valid_users", c.ValidationUsers);
                    w.WriteNumber("valid_oof_gain", c.OutOfFoldGain);
                    w.WriteNumber("valid_oof_se", c.OutOfFoldStandardError);
                    w.WriteStartObject("weights");
                    foreach (var (name, weight) in c.Weights)
                    {
                        w.WriteNumber(name, weight);
                    }

                    w.WriteEndObject();
                }

                w.WritePropertyName("metrics");
                WriteMetrics(w, metrics, k);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        purchase?.WriteJson(w);
        w.WriteEndObject();
    }

    private static void WriteMetrics(Utf8JsonWriter w, MetricSet m, int k)
    {
        w.WriteStartObject();
        foreach (var (name, value) in m.ToDictionary(k))
        {
            if (double.IsFinite(value))
            {
                w.WriteNumber(name, value);
            }
            else
            {
                w.WriteNull(name);
            }
        }

        w.WriteNumber("users", m.Users);
        w.WriteEndObject();
    }

    private static List<CohortRow> CohortRows(CohortAwareRecommender model, EvaluationResult adapted, EvaluationResult global, IReadOnlyList<string> groupNames)
    {
        var result = new List<CohortRow>();
        foreach (var d in model.Decisions)
        {
            if (!adapted.ByGroup.TryGetValue(d.Group, out var a) || !global.ByGroup.TryGetValue(d.Group, out var g))
            {
                continue;
            }

            var weights = new List<(string, double)>();
            for (var s = 0; s < d.Weights.Count; s++)
            {
                weights.Add((model.WeightNames[s], Math.Round(d.Weights[s], 4)));
            }

            var label = d.Group < groupNames.Count ? groupNames[d.Group] : d.Group.ToString(CultureInfo.InvariantCulture);
            result.Add(new CohortRow(d.Group, label, a.Users, d.Adapted, a.Ndcg, g.Ndcg, d.ValidationUsers, d.OutOfFoldGain, d.OutOfFoldStandardError, weights)
            {
                Form = d.Form,
                OffsetWeight = d.OffsetWeight,
                Evidence = d.Evidence,
            });
        }

        return result;
    }

    private static void PrintCohortTable(string model, List<CohortRow> cohorts, int k)
    {
        Console.WriteLine();
        Console.WriteLine($"{model}: per cohort (test ndcg@{k}; form = what validation adopted, global when no form cleared its z)");
        Console.WriteLine($"{"id",3}  {"users",5}  {"form",-18}  {"ndcg",6}  {"global",6}  {"diff",7}  {"valid oof gain ± se",20}  label / weights");
        foreach (var c in cohorts)
        {
            var weights = string.Join(", ", c.Weights.ConvertAll(w => string.Create(CultureInfo.InvariantCulture, $"{w.Name}={w.Weight:G4}")));
            var form = c.Form is CohortAdaptationForm.ItemBias or CohortAdaptationForm.DecayedPopularity
                ? string.Create(CultureInfo.InvariantCulture, $"{FormName(c.Form)}×{c.OffsetWeight:G3}")
                : FormName(c.Form);
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{c.Group,3}  {c.Users,5}  {form,-18}  {c.TestNdcg,6:F4}  {c.GlobalTestNdcg,6:F4}  {c.TestNdcg - c.GlobalTestNdcg,7:+0.0000;-0.0000;0}  {c.OutOfFoldGain,9:+0.0000;-0.0000;0} ± {c.OutOfFoldStandardError,6:F4}  {c.Label} [{weights}]"));
            foreach (var e in c.Evidence)
            {
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{"",3}  {"",5}    {FormName(e.Form),-16}  valid oof gain {e.Gain:+0.0000;-0.0000;0} ± {e.StandardError:F4} (z {e.Z:F2}), weight {e.Weight:G3}"));
            }
        }
    }

    private static string FormName(CohortAdaptationForm form) => form switch
    {
        CohortAdaptationForm.Weights => "weights",
        CohortAdaptationForm.ItemBias => "item-bias",
        CohortAdaptationForm.DecayedPopularity => "decayed-pop",
        _ => "global",
    };

    /// <summary>--cohort-forms: comma-separated weights, item-bias, decayed-pop (default all three).</summary>
    private static IReadOnlyList<CohortAdaptationForm> CohortForms(string? value)
    {
        if (value is null)
        {
            return new CohortStrategyOptions().Forms;
        }

        var forms = new List<CohortAdaptationForm>();
        foreach (var name in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            forms.Add(name switch
            {
                "weights" => CohortAdaptationForm.Weights,
                "item-bias" => CohortAdaptationForm.ItemBias,
                "decayed-pop" => CohortAdaptationForm.DecayedPopularity,
                _ => throw new ArgumentException($"unknown --cohort-forms entry '{name}' (expected weights, item-bias, decayed-pop)"),
            });
        }

        return forms;
    }

    private sealed record CohortRow(
        int Group,
        string Label,
        int Users,
        bool Adapted,
        double TestNdcg,
        double GlobalTestNdcg,
        int ValidationUsers,
        double OutOfFoldGain,
        double OutOfFoldStandardError,
        List<(string Name, double Weight)> Weights)
    {
        public CohortAdaptationForm Form { get; init; }

        public float OffsetWeight { get; init; }

        public IReadOnlyList<CohortFormEvidence> Evidence { get; init; } = [];
    }

    private sealed record ModelRow(string Name, IReadOnlyDictionary<string, double> Parameters, double TrainSeconds, double ValidObjective, EvaluationResult Test, List<CohortRow>? Cohorts = null)
    {
        /// <summary>Test metrics of the configuration refitted on train + validation (null without --refit, or for the ranker).</summary>
        public EvaluationResult? Refit { get; init; }
    }
}
