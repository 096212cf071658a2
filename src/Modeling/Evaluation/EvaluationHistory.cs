using Cohortly.Modeling.Data;

namespace Cohortly.Modeling.Evaluation;

/// <summary>
/// Which events a model (and every feature it computes: profiles, cohorts, popularity, item age, the ranker's item
/// statistics) may read when it is scored on a part. Without refit the test is scored by models fitted on train; with
/// refit by the selected configuration fitted again on train + validation, as training in the cluster fits on
/// everything it has. Under a global-time split both stay strictly before the test cut.
/// </summary>
public static class EvaluationHistory
{
    /// <summary>The events the models that score the test part are fitted on.</summary>
    public static InteractionDataset ForTest(DatasetSplit split, bool refit)
    {
        ArgumentNullException.ThrowIfNull(split);
        var history = refit ? TrainAndValidation(split) : split.Train;
        if (split.TestCut is { } cut)
        {
            EnsureBefore(history, cut);
        }

        return history;
    }

    /// <summary>
    /// Train ∪ validation over the split's catalog; a (user, item) pair in both parts counts once (its validation row is
    /// dropped), as in the binary protocol every model is scored by.
    /// </summary>
    public static InteractionDataset TrainAndValidation(DatasetSplit split)
    {
        ArgumentNullException.ThrowIfNull(split);
        var train = split.Train;
        var seen = new HashSet<long>(train.Count);
        var users = train.Users;
        var items = train.Items;
        var itemCount = (long)train.ItemCount;
        for (var r = 0; r < train.Count; r++)
        {
            seen.Add((users[r] * itemCount) + items[r]);
        }

        var valid = split.Validation;
        var vu = valid.Users;
        var vi = valid.Items;
        var keep = new List<int>(valid.Count);
        for (var r = 0; r < valid.Count; r++)
        {
            if (seen.Add((vu[r] * itemCount) + vi[r]))
            {
                keep.Add(r);
            }
        }

        return InteractionDataset.Concat(train, valid.Select(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(keep)));
    }

    /// <summary>Throws when <paramref name="history"/> holds an event at or after <paramref name="cut"/> (unix seconds).</summary>
    public static void EnsureBefore(InteractionDataset history, long cut)
    {
        ArgumentNullException.ThrowIfNull(history);
        foreach (var t in history.Timestamps)
        {
            if (t >= cut)
            {
                throw new InvalidOperationException($"an event at {t} is not before the cut at {cut}: features would read the period they are scored on");
            }
        }
    }
}
