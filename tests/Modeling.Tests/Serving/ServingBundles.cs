using System.Globalization;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Modeling.Cohorts;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Serving;

/// <summary>A bundle fitted piece by piece on a seeded synthetic shop, with the data it was fitted on.</summary>
internal sealed record ServingWorld(ModelBundle Bundle, DatasetSplit Split, int[] Groups, SyntheticWorld World, IReadOnlyList<SyntheticEvent> Events)
{
    /// <summary>Stable cohort id of group g (deliberately not equal to g, so id ↔ group mapping is exercised).</summary>
    public static int CohortIdOf(int group) => 100 + group;

    public static DateTimeOffset End { get; } = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    public int GroupOfUser(int user) => Groups[user];

    public string UserId(int user) => Split.Catalog.Users[user];
}

/// <summary>
/// Builds <see cref="ModelBundle"/>s without the training pipeline: the signals, the cohort-aware scorer (planted
/// behaviour types as cohorts), context statistics and the provisional model are fitted directly.
/// </summary>
internal static class ServingBundles
{
    private static readonly Lazy<ServingWorld> Shared = new(() => Create());

    /// <summary>One shared fitted world (bundles are immutable, so tests may share it).</summary>
    public static ServingWorld Default => Shared.Value;

    public static ServingWorld Create(
        int users = 400,
        int items = 300,
        int factors = 16,
        int seed = 7,
        bool neutralContext = false,
        ServingPolicy? defaultPolicy = null,
        IReadOnlyDictionary<int, ServingPolicy>? policies = null,
        CohortStrategyOptions? cohortOptions = null,
        ItemKnnOptions? easeOptions = null)
    {
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = users, Items = items }, seed);
        var events = world.History(ServingWorld.End, 30, new Random(seed + 1));
        var builder = new InteractionDatasetBuilder();
        foreach (var item in world.Items)
        {
            builder.AddItem(item.Id, new ItemMetadata(item.Title, [item.Category], []));
        }

        foreach (var user in world.Users)
        {
            builder.AddUser(user.Id);
        }

        foreach (var e in events)
        {
            if (e.Type != InteractionType.Dismiss)
            {
                builder.Add(e.UserId, e.ItemId, 1, e.Timestamp.ToUnixTimeSeconds(), e.Type.ToWireName());
            }
        }

        var data = builder.Build();
        var split = DatasetSplitter.RandomPerUser(data, SplitRatios.Default, new Random(seed + 2));
        var groups = new int[data.UserCount];
        for (var u = 0; u < groups.Length; u++)
        {
            groups[u] = (int)world.Users[u].Type;
        }

        var train = new TrainingData(split.Train, groups);
        var random = new Random(seed + 3);
        var ials = new IalsRecommender(new IalsOptions { Factors = factors, Iterations = 8, Regularization = 2, Alpha = 5 });
        ials.Fit(train, random);
        var knn = new ItemKnnRecommender(new ItemKnnOptions { Neighbors = 40 });
        knn.Fit(train, random);
        var popularity = new PopularityRecommender();
        popularity.Fit(train, random);
        var content = new ContentRecommender();
        content.Fit(train, random);
        List<CohortSignal> signals = [new CohortSignal("ials", ials, 1), new CohortSignal("itemknn", knn, 1), new CohortSignal("popularity", popularity, 0.5f), new CohortSignal("content", content, 0.25f)];
        if (easeOptions is not null)
        {
            var ease = new ItemKnnRecommender(easeOptions);
            ease.Fit(train, random);
            signals.Add(new CohortSignal("ease", ease, 1));
        }

        var scorer = new CohortAwareRecommender(
            signals,
            SparseMatrix.UserItem(split.Validation),
            cohortOptions ?? new CohortStrategyOptions { MinValidationUsers = 10, MinGainStandardErrors = 0, Forms = [CohortAdaptationForm.Weights] });
        scorer.Fit(train, random);

        var groupCount = train.GroupCount;
        var cohortIds = new int[groupCount];
        var labels = new string[groupCount];
        var reports = new List<CohortModelReport>();
        for (var g = 0; g < groupCount; g++)
        {
            cohortIds[g] = ServingWorld.CohortIdOf(g);
            labels[g] = ((BehaviorType)g).ToString();
            var d = scorer.Decisions[g];
            reports.Add(new CohortModelReport(cohortIds[g], labels[g], d.ValidationUsers, d.ValidationUsers, d.Adapted, d.GlobalNdcg, d.AdaptedNdcg, d.OutOfFoldGain, new Dictionary<string, float>()));
        }

        var itemIds = data.Catalog.Items.Ids;
        var metadata = new ItemMetadata[itemIds.Count];
        for (var i = 0; i < metadata.Length; i++)
        {
            metadata[i] = data.Catalog.ItemMetadata(i) ?? ItemMetadata.Empty;
        }

        var contextItems = new List<int>();
        var contextDevices = new List<string?>();
        var contextTimes = new List<long>();
        if (!neutralContext)
        {
            foreach (var e in events)
            {
                contextItems.Add(data.Catalog.Items.IndexOf(e.ItemId));
                contextDevices.Add(e.Device);
                contextTimes.Add(e.Timestamp.ToUnixTimeMilliseconds());
            }
        }

        var examples = new List<ProvisionalExample>();
        for (var u = 0; u < world.Users.Count; u++)
        {
            examples.Add(new ProvisionalExample(new Dictionary<string, string>(), world.Users[u].Device, cohortIds[groups[u]]));
        }

        var bundle = new ModelBundle
        {
            Version = 12,
            TrainedAt = ServingWorld.End,
            ReferenceTime = ServingWorld.End,
            Segmentation = new SegmentationModel(1, ["x"], new FeatureScaler([0f], [1f]), [[0f]], cohortIds, labels),
            ItemIds = itemIds,
            Items = metadata,
            UserIds = data.Catalog.Users.Ids,
            UserItems = train.UserItems,
            Scorer = scorer,
            GroupCohortIds = cohortIds,
            Neighbors = knn,
            Factors = ials,
            Popularity = popularity,
            Content = content,
            Context = ContextStatistics.Fit(itemIds.Count, contextItems.ToArray(), contextDevices, contextTimes.ToArray()),
            Provisional = ProvisionalCohortModel.Fit(examples),
            Cohorts = reports,
            Policies = policies ?? new Dictionary<int, ServingPolicy>(),
            DefaultPolicy = defaultPolicy ?? ServingPolicy.Default,
            Summary = new TrainingSummary(events.Count, data.UserCount, data.ItemCount, groupCount, 0, 0, []),
        };
        return new ServingWorld(bundle, split, groups, world, events);
    }

    public static string Id(int value) => value.ToString(CultureInfo.InvariantCulture);
}
