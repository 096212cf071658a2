using Cohortly.Contracts;
using Cohortly.Modeling.Repeats;

namespace Cohortly.Modeling.Training;

/// <summary>
/// The training run's repeat cycles: every purchase event of the log (within retention), each item's first category
/// from the catalog, learned by <see cref="RepeatModel.Learn"/> over the log's user and item indices, so the bundle's
/// rows line up with its user × item matrix.
/// </summary>
internal static class RepeatTraining
{
    public static RepeatModel Fit(TrainingLog log, RepeatOptions options, CancellationToken cancellationToken)
    {
        var count = 0;
        for (var k = 0; k < log.EventCount; k++)
        {
            if (log.Type(k) == InteractionType.Purchase)
            {
                count++;
            }
        }

        var users = new int[count];
        var items = new int[count];
        var times = new long[count];
        var n = 0;
        for (var k = 0; k < log.EventCount; k++)
        {
            if (log.Type(k) == InteractionType.Purchase && log.EventUsers[k] >= 0 && log.EventItems[k] >= 0)
            {
                users[n] = log.EventUsers[k];
                items[n] = log.EventItems[k];
                times[n] = log.EventTimes[k];
                n++;
            }
        }

        var categories = new string?[log.ItemIds.Length];
        for (var i = 0; i < categories.Length; i++)
        {
            categories[i] = i < log.Metadata.Length && log.Metadata[i].Categories.Count > 0 ? log.Metadata[i].Categories[0] : null;
        }

        return RepeatModel.Learn(users.AsSpan(0, n), items.AsSpan(0, n), times.AsSpan(0, n), log.UserIds.Length, categories, options, cancellationToken);
    }
}
