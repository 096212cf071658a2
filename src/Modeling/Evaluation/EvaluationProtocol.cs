using Cohortly.Modeling.Data;

namespace Cohortly.Modeling.Evaluation;

public enum SplitMethod
{
    RandomPerUser,
    TemporalPerUser,
    GlobalTemporal,
}

/// <summary>
/// How a raw data set becomes train / validation / test: value threshold, k-core, split; plus the cut-off k.
/// Models train on train only, are selected on validation, and are reported on test (RecBole's protocol).
/// </summary>
public sealed record EvaluationProtocol(
    string Name,
    float? MinValue,
    int MinInteractionsPerUser,
    int MinInteractionsPerItem,
    SplitMethod Split,
    SplitRatios Ratios,
    int K)
{
    /// <summary>value ≥ 3, 10-core, random 80/10/10 per user, full ranking, k = 10.</summary>
    public static EvaluationProtocol RecBole { get; } = new("recbole", 3f, 10, 10, SplitMethod.RandomPerUser, SplitRatios.Default, 10);

    /// <summary>As <see cref="RecBole"/> but each user's latest 10% is test and the 10% before it validation.</summary>
    public static EvaluationProtocol Temporal { get; } = RecBole with { Name = "temporal", Split = SplitMethod.TemporalPerUser };

    /// <summary>
    /// As <see cref="RecBole"/> but with one cut date for everybody: the latest 10% of the timeline is test and the 10%
    /// before it validation, so no user's training events come after another user's test events (a per-user temporal
    /// split leaks calendar time across users: item age and popularity would see the test period).
    /// </summary>
    public static EvaluationProtocol GlobalTime { get; } = RecBole with { Name = "global-time", Split = SplitMethod.GlobalTemporal };

    public static IReadOnlyList<string> Presets { get; } = ["recbole", "temporal", "global-time"];

    public static EvaluationProtocol Parse(string name) => name.ToLowerInvariant() switch
    {
        "recbole" => RecBole,
        "temporal" => Temporal,
        "global-time" or "global" => GlobalTime,
        _ => throw new ArgumentException($"unknown preset '{name}' (expected {string.Join(", ", Presets)})", nameof(name)),
    };

    /// <summary>Threshold, then k-core until stable, then re-indexing to the surviving users and items.</summary>
    public InteractionDataset Filter(InteractionDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (MinValue is { } min)
        {
            data = DatasetFilters.MinValue(data, min);
        }

        if (MinInteractionsPerUser > 0 || MinInteractionsPerItem > 0)
        {
            data = DatasetFilters.KCore(data, MinInteractionsPerUser, MinInteractionsPerItem);
        }

        return data.Compact();
    }

    public DatasetSplit SplitData(InteractionDataset filtered, Random random)
    {
        ArgumentNullException.ThrowIfNull(filtered);
        ArgumentNullException.ThrowIfNull(random);
        return Split switch
        {
            SplitMethod.RandomPerUser => DatasetSplitter.RandomPerUser(filtered, Ratios, random),
            SplitMethod.TemporalPerUser => DatasetSplitter.TemporalPerUser(filtered, Ratios),
            SplitMethod.GlobalTemporal => DatasetSplitter.GlobalTemporal(filtered, Ratios),
            _ => throw new ArgumentOutOfRangeException(nameof(random)),
        };
    }

    public DatasetSplit Prepare(InteractionDataset raw, Random random) => SplitData(Filter(raw), random);
}
