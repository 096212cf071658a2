using System.Numerics.Tensors;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Segmentation;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace Cohortly.Modeling.Ranking;

/// <summary>A fitted model whose top items become ranker candidates, and whose score and rank become features.</summary>
public sealed record CandidateGenerator(string Name, IRecommender Model);

public sealed record RankerOptions
{
    /// <summary>Top unseen items each generator contributes to a user's candidate pool.</summary>
    public int CandidatesPerGenerator { get; init; } = 50;

    public int NumberOfLeaves { get; init; } = 7;

    public int NumberOfIterations { get; init; } = 300;

    public double LearningRate { get; init; } = 0.05;

    public int MinimumExampleCountPerLeaf { get; init; } = 100;

    /// <summary>
    /// After the number of trees is chosen on the held-out users, fit again on every label user with that many trees
    /// (more labels; the held-out users then no longer measure anything).
    /// </summary>
    public bool RefitOnAllLabelUsers { get; init; } = true;

    /// <summary>Rounds between checks of NDCG on the held-out label users; the best checked prefix of trees is kept.</summary>
    public int EvaluationInterval { get; init; } = 10;

    /// <summary>Share of the label users held out from LightGBM to choose the number of trees.</summary>
    public double HeldOutUserShare { get; init; } = 0.2;

    /// <summary>Pseudo-count pulling a small cohort's popularity toward global (for the cohort popularity features).</summary>
    public float CohortPopularityPrior { get; init; } = 100f;

    public int Seed { get; init; } = 7;
}

/// <summary>
/// LambdaMART re-ranker (LightGBM through ML.NET). Candidates are the union of every generator's top unseen items plus
/// popularity and cohort popularity; each (user, candidate) pair is described by every generator's standardized score
/// and rank, the item's overall and in-cohort popularity, the user's category affinity for the item, the item's age
/// and mean value, and the user's activity. Labels come from a separate held-out part (the validation part in the
/// bench: generators are fitted on train, the ranker learns which of their candidates the user took next); the test
/// part is never seen. Items outside the candidate pool score far below every candidate.
/// </summary>
/// <param name="labels">User→held-out items the ranker is trained to put first (e.g. the validation part).</param>
public sealed class LambdaMartRanker(IReadOnlyList<CandidateGenerator> generators, SparseMatrix labels, RankerOptions? options = null) : IRecommender
{
    public const string KindName = "lambdamart";
    private const int FormatVersion = 1;
    private const float OutsidePool = -1e30f;

    private readonly SparseMatrix? _labels = labels;
    private IRecommender[] _models = [];
    private string[] _generatorNames = [];
    private TreeEnsemble? _ensemble;
    private ItemStatistics _items = ItemStatistics.Empty;
    private SparseMatrix _train = new(0, 0, [0], [], []);
    private int[] _userGroups = [];
    private string[] _featureNames = [];

    public IReadOnlyList<CandidateGenerator> Generators { get; } = Validate(generators);

    public RankerOptions Options { get; } = options ?? new RankerOptions();

    public string Kind => KindName;

    public int ItemCount => _items.Count;

    public int UserCount => _train.Rows;

    public IReadOnlyList<string> FeatureNames => _featureNames;

    /// <summary>Trees kept after early stopping.</summary>
    public int TreeCount => _ensemble?.TreeCount ?? 0;

    /// <summary>Total split gain per feature (same order as <see cref="FeatureNames"/>).</summary>
    public double[] GainImportance() => _ensemble?.GainImportance() ?? [];

    public void Fit(TrainingData data, Random random, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(random);
        if (_labels is null || _labels.Rows != data.UserCount || _labels.Columns != data.ItemCount)
        {
            throw new ArgumentException("labels must be a users × items matrix of the training catalog");
        }

        _train = data.UserItems;
        _userGroups = data.HasUserGroups ? data.UserGroups.ToArray() : new int[data.UserCount];
        if (!data.HasUserGroups)
        {
            Array.Fill(_userGroups, -1);
        }

        var popularity = new PopularityRecommender(new PopularityOptions { ByGroup = data.HasUserGroups, GroupPrior = Options.CohortPopularityPrior });
        popularity.Fit(data, random, cancellationToken);
        var models = new List<IRecommender>();
        var names = new List<string>();
        foreach (var g in Generators)
        {
            models.Add(g.Model);
            names.Add(g.Name);
        }

        models.Add(popularity);
        names.Add(data.HasUserGroups ? "cohort_pop" : "pop");
        _models = [.. models];
        _generatorNames = [.. names];
        _items = ItemStatistics.Compute(data, popularity);
        _featureNames = BuildFeatureNames(_generatorNames);

        var users = new List<int>();
        for (var u = 0; u < data.UserCount; u++)
        {
            if (_labels.RowLength(u) > 0)
            {
                users.Add(u);
            }
        }

        var order = users.ToArray();
        random.Shuffle(order);
        var heldOut = (int)Math.Round(order.Length * Options.HeldOutUserShare);
        var fitUsers = order[heldOut..];
        var stopUsers = order[..heldOut];
        Array.Sort(fitUsers);
        Array.Sort(stopUsers);
        var fitRows = BuildRows(fitUsers, cancellationToken);
        var stopRows = BuildRows(stopUsers, cancellationToken);

        var ml = new MLContext(Options.Seed);
        var fitView = ToDataView(ml, fitRows, data.UserCount);
        // ML.NET's validation-set early stopping failed on ML-100K (LightGBM saw one 16,544-row query in the validation
        // set, so its queries were apparently not separated; not investigated further). The number of trees is chosen
        // here instead: NDCG@10 of the held-out users' candidate lists, checked every few rounds.
        var model = Trainer(ml, Options.NumberOfIterations).Fit(fitView);
        var full = TreeEnsemble.FromMlNet(model.Model.TrainedTreeEnsemble, _featureNames.Length);
        BestRound = stopRows.Count > 0 ? ChooseRounds(full, stopRows) : full.TreeCount;
        if (Options.RefitOnAllLabelUsers && stopRows.Count > 0)
        {
            var all = new List<Row>(fitRows.Count + stopRows.Count);
            all.AddRange(fitRows);
            all.AddRange(stopRows);
            all.Sort(static (x, y) => x.GroupId.CompareTo(y.GroupId)); // queries must be contiguous; order inside one does not matter
            var refit = Trainer(ml, Math.Max(1, BestRound)).Fit(ToDataView(ml, all, data.UserCount));
            _ensemble = TreeEnsemble.FromMlNet(refit.Model.TrainedTreeEnsemble, _featureNames.Length);
            _ensemble.CalibrateNodeValues(ToMatrix(all, _featureNames.Length));
        }
        else
        {
            _ensemble = full.Truncate(Math.Max(1, BestRound));
            _ensemble.CalibrateNodeValues(ToMatrix(fitRows, _featureNames.Length));
        }
    }

    private LightGbmRankingTrainer Trainer(MLContext ml, int iterations) => ml.Ranking.Trainers.LightGbm(new LightGbmRankingTrainer.Options
    {
        LabelColumnName = nameof(Row.Label),
        FeatureColumnName = nameof(Row.Features),
        RowGroupColumnName = nameof(Row.GroupId),
        NumberOfLeaves = Options.NumberOfLeaves,
        NumberOfIterations = iterations,
        LearningRate = Options.LearningRate,
        MinimumExampleCountPerLeaf = Options.MinimumExampleCountPerLeaf,
        EvaluationMetric = LightGbmRankingTrainer.Options.EvaluateMetricType.NormalizedDiscountedCumulativeGain,
        UseCategoricalSplit = false,
        Seed = Options.Seed,
        Deterministic = true,
        NumberOfThreads = 1,
        Silent = true,
    });

    /// <summary>Trees kept: the round with the best held-out NDCG@10 (all rounds without held-out users).</summary>
    public int BestRound { get; private set; }

    private int ChooseRounds(TreeEnsemble full, List<Row> rows)
    {
        var scores = new double[rows.Count];
        var best = double.NegativeInfinity;
        var bestRound = full.TreeCount;
        var interval = Math.Max(1, Options.EvaluationInterval);
        for (var t = 0; t < full.TreeCount; t++)
        {
            for (var r = 0; r < rows.Count; r++)
            {
                scores[r] += full.TreeOutput(t, rows[r].Features);
            }

            if ((t + 1) % interval == 0 || t == full.TreeCount - 1)
            {
                var ndcg = QueryNdcg(rows, scores, 10);
                if (ndcg > best + 1e-12)
                {
                    best = ndcg;
                    bestRound = t + 1;
                }
            }
        }

        return bestRound;
    }

    /// <summary>Mean NDCG@k of each query (consecutive rows with one group id) ordered by score.</summary>
    private static double QueryNdcg(List<Row> rows, double[] scores, int k)
    {
        double total = 0;
        var queries = 0;
        var start = 0;
        while (start < rows.Count)
        {
            var end = start;
            while (end < rows.Count && rows[end].GroupId == rows[start].GroupId)
            {
                end++;
            }

            var n = end - start;
            var order = new int[n];
            var keys = new double[n];
            var positives = 0;
            for (var x = 0; x < n; x++)
            {
                order[x] = x;
                keys[x] = -scores[start + x];
                positives += rows[start + x].Label > 0 ? 1 : 0;
            }

            Array.Sort(keys, order);
            double dcg = 0, ideal = 0;
            for (var x = 0; x < Math.Min(k, n); x++)
            {
                if (rows[start + order[x]].Label > 0)
                {
                    dcg += Evaluation.RankingMetrics.Discount(x);
                }

                if (x < positives)
                {
                    ideal += Evaluation.RankingMetrics.Discount(x);
                }
            }

            total += ideal > 0 ? dcg / ideal : 0;
            queries++;
            start = end;
        }

        return queries == 0 ? 0 : total / queries;
    }

    public void Score(int user, Span<float> scores) => ScoreContext(UserContext.ForUser(this, user), scores);

    /// <summary>Ranks for someone known by recent items (global cohort; their items are their history).</summary>
    public void ScoreItems(ReadOnlySpan<int> recentItems, Span<float> scores) => ScoreContext(UserContext.ForItems(this, recentItems, -1), scores);

    /// <summary>As <see cref="ScoreItems"/> for a member of a cohort (group index).</summary>
    public void ScoreItemsInCohort(int group, ReadOnlySpan<int> recentItems, Span<float> scores) => ScoreContext(UserContext.ForItems(this, recentItems, group), scores);

    /// <summary>
    /// Why the ranker placed an item where it did for a user: each feature's contribution to the score (path-based,
    /// summing with <paramref name="expected"/> to the score), by feature name.
    /// </summary>
    public IReadOnlyList<(string Feature, double Contribution)> Explain(int user, int item, out double expected, out double score)
    {
        var ensemble = _ensemble ?? throw new InvalidOperationException("fit the ranker first");
        var context = UserContext.ForUser(this, user);
        var features = new float[_featureNames.Length];
        FillFeatures(context, item, features);
        var contributions = new double[_featureNames.Length];
        score = ensemble.Contributions(features, contributions);
        expected = ensemble.ExpectedValue;
        var result = new List<(string, double)>(contributions.Length);
        for (var f = 0; f < contributions.Length; f++)
        {
            result.Add((_featureNames[f], contributions[f]));
        }

        result.Sort(static (a, b) => Math.Abs(b.Item2).CompareTo(Math.Abs(a.Item2)));
        return result;
    }

    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var ensemble = _ensemble ?? throw new InvalidOperationException("fit the ranker first");
        writer.Write(FormatVersion);
        writer.Write(Options.CandidatesPerGenerator);
        writer.Write(_models.Length);
        for (var g = 0; g < _models.Length; g++)
        {
            writer.Write(_generatorNames[g]);
            RecommenderSerializer.Default.WriteModel(writer, _models[g]);
        }

        _train.Write(writer);
        writer.Write(_userGroups.Length);
        BinaryArrays.Write(writer, _userGroups);
        _items.Write(writer);
        BinaryArrays.WriteStrings(writer, _featureNames);
        ensemble.Write(writer);
    }

    /// <summary>Reads a fitted ranker; <see cref="RecommenderSerializer.Default"/> knows this kind.</summary>
    public static LambdaMartRanker Read(BinaryReader reader, RecommenderSerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(serializer);
        RecommenderSerializer.ExpectVersion(reader, FormatVersion, KindName);
        var perGenerator = reader.ReadInt32();
        var count = reader.ReadInt32();
        var names = new string[count];
        var models = new IRecommender[count];
        for (var g = 0; g < count; g++)
        {
            names[g] = reader.ReadString();
            models[g] = serializer.ReadModel(reader);
        }

        var generators = new CandidateGenerator[count - 1];
        for (var g = 0; g < count - 1; g++)
        {
            generators[g] = new CandidateGenerator(names[g], models[g]);
        }

        var ranker = new LambdaMartRanker(generators, null!, new RankerOptions { CandidatesPerGenerator = perGenerator })
        {
            _models = models,
            _generatorNames = names,
            _train = SparseMatrix.Read(reader),
        };
        ranker._userGroups = BinaryArrays.ReadInt32(reader, reader.ReadInt32());
        ranker._items = ItemStatistics.Read(reader);
        ranker._featureNames = BinaryArrays.ReadStrings(reader);
        ranker._ensemble = TreeEnsemble.Read(reader);
        return ranker;
    }

    private static string[] BuildFeatureNames(string[] generators)
    {
        var names = new List<string>();
        foreach (var g in generators)
        {
            names.Add(g + "_z");
            names.Add(g + "_rank");
        }

        names.AddRange(["item_log_pop", "item_cohort_lift", "item_mean_value", "item_age_days", "category_match", "user_log_activity"]);
        return [.. names];
    }

    private void ScoreContext(UserContext context, Span<float> scores)
    {
        var ensemble = _ensemble ?? throw new InvalidOperationException("fit the ranker first");
        scores[..ItemCount].Fill(OutsidePool);
        Span<float> features = stackalloc float[_featureNames.Length];
        foreach (var item in context.Candidates)
        {
            FillFeatures(context, item, features);
            scores[item] = (float)ensemble.Predict(features);
        }
    }

    private List<Row> BuildRows(int[] users, CancellationToken cancellationToken)
    {
        var perUser = new List<Row>[users.Length];
        Parallel.For(0, users.Length, new ParallelOptions { CancellationToken = cancellationToken }, x =>
        {
            var u = users[x];
            var context = UserContext.ForUser(this, u);
            var rows = new List<Row>(context.Candidates.Length);
            var positives = 0;
            foreach (var item in context.Candidates)
            {
                var features = new float[_featureNames.Length];
                FillFeatures(context, item, features);
                var label = _labels!.Contains(u, item) ? 1f : 0f;
                positives += (int)label;
                rows.Add(new Row { Label = label, GroupId = (uint)u + 1, Features = features });
            }

            // A list without a positive teaches LambdaMART nothing.
            perUser[x] = positives > 0 ? rows : [];
        });
        var all = new List<Row>();
        foreach (var rows in perUser)
        {
            all.AddRange(rows);
        }

        return all;
    }

    private void FillFeatures(UserContext c, int item, Span<float> f)
    {
        var k = 0;
        for (var g = 0; g < _models.Length; g++)
        {
            f[k++] = c.Standardized[g][item];
            f[k++] = c.Ranks[g].TryGetValue(item, out var rank) ? rank : Options.CandidatesPerGenerator;
        }

        var global = _items.GlobalShare[item];
        f[k++] = _items.LogPopularity[item];
        f[k++] = global > 0 ? MathF.Log((c.CohortShare[item] + 1e-6f) / (global + 1e-6f)) : 0;
        f[k++] = _items.MeanValue[item];
        f[k++] = _items.AgeDays[item];
        f[k++] = CategoryMatch(c.CategoryShare, _items.Categories[item]);
        f[k] = c.LogActivity;
    }

    private static float CategoryMatch(Dictionary<int, float> shares, int[] categories)
    {
        if (categories.Length == 0 || shares.Count == 0)
        {
            return 0;
        }

        var sum = 0f;
        foreach (var c in categories)
        {
            sum += shares.TryGetValue(c, out var s) ? s : 0;
        }

        return sum / categories.Length;
    }

    private static IDataView ToDataView(MLContext ml, List<Row> rows, int users)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, rows.Count == 0 ? 1 : rows[0].Features.Length);
        schema[nameof(Row.GroupId)].ColumnType = new KeyDataViewType(typeof(uint), (ulong)users + 1);
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    private static FeatureMatrix ToMatrix(List<Row> rows, int columns)
    {
        var m = new FeatureMatrix(rows.Count, columns);
        for (var r = 0; r < rows.Count; r++)
        {
            rows[r].Features.CopyTo(m.Row(r));
        }

        return m;
    }

    private static IReadOnlyList<CandidateGenerator> Validate(IReadOnlyList<CandidateGenerator> generators)
    {
        ArgumentNullException.ThrowIfNull(generators);
        return generators;
    }

    private sealed class Row
    {
        public float Label { get; set; }

        public uint GroupId { get; set; }

        public float[] Features { get; set; } = [];
    }

    /// <summary>Everything the features of one user need: standardized generator scores, ranks, shares, the pool.</summary>
    private sealed class UserContext
    {
        public required float[][] Standardized { get; init; }

        public required Dictionary<int, int>[] Ranks { get; init; }

        public required float[] CohortShare { get; init; }

        public required Dictionary<int, float> CategoryShare { get; init; }

        public required float LogActivity { get; init; }

        public required int[] Candidates { get; init; }

        public static UserContext ForUser(LambdaMartRanker r, int user)
            => Build(r, r._train.RowColumns(user), (m, s) => m.Score(user, s), (uint)user < (uint)r._userGroups.Length ? r._userGroups[user] : -1);

        public static UserContext ForItems(LambdaMartRanker r, ReadOnlySpan<int> recent, int group)
        {
            var items = recent.ToArray();
            Array.Sort(items);
            var distinct = items.AsSpan(0, items.Length == 0 ? 0 : 1 + CountDistinctTail(items));
            var history = distinct.ToArray();
            return Build(r, history, (m, s) => m.ScoreItems(history, s), group);
        }

        private static int CountDistinctTail(int[] sorted)
        {
            var w = 0;
            for (var i = 1; i < sorted.Length; i++)
            {
                if (sorted[i] != sorted[w])
                {
                    sorted[++w] = sorted[i];
                }
            }

            return w;
        }

        private static UserContext Build(LambdaMartRanker r, ReadOnlySpan<int> history, Action<IRecommender, float[]> score, int group)
        {
            var n = r.ItemCount;
            var per = r.Options.CandidatesPerGenerator;
            var heap = new TopKHeap(per);
            var top = new int[per];
            var standardized = new float[r._models.Length][];
            var ranks = new Dictionary<int, int>[r._models.Length];
            var pool = new HashSet<int>();
            float[]? cohortShare = null;
            for (var g = 0; g < r._models.Length; g++)
            {
                var s = new float[n];
                var popularity = r._models[g] as PopularityRecommender;
                if (popularity is not null && g == r._models.Length - 1)
                {
                    popularity.ScoreGroup(group, s);
                    cohortShare = (float[])s.Clone();
                }
                else
                {
                    score(r._models[g], s);
                }

                var count = TopK.Select(s, history, heap, top);
                ranks[g] = new Dictionary<int, int>(count);
                for (var k = 0; k < count; k++)
                {
                    ranks[g][top[k]] = k;
                    pool.Add(top[k]);
                }

                ScoreScaling.Standardize(s);
                standardized[g] = s;
            }

            var categoryShare = new Dictionary<int, float>();
            var tagged = 0;
            foreach (var item in history)
            {
                foreach (var c in r._items.Categories[item])
                {
                    categoryShare[c] = (categoryShare.TryGetValue(c, out var v) ? v : 0) + 1;
                }

                tagged += r._items.Categories[item].Length > 0 ? 1 : 0;
            }

            foreach (var c in categoryShare.Keys)
            {
                categoryShare[c] /= Math.Max(1, tagged);
            }

            var candidates = new int[pool.Count];
            pool.CopyTo(candidates);
            Array.Sort(candidates);
            return new UserContext
            {
                Standardized = standardized,
                Ranks = ranks,
                CohortShare = cohortShare ?? r._items.GlobalShare,
                CategoryShare = categoryShare,
                LogActivity = MathF.Log(1 + history.Length),
                Candidates = candidates,
            };
        }

    }
}
