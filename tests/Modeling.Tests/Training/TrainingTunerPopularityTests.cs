using Cohortly.Modeling.Data;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Training;

/// <summary>
/// Global popularity is a served signal, so self-tuning must be able to weigh it in: on a log where every user takes
/// what everybody takes (no taste at all), the tuned blend gives popularity weight and the options it returns serve it.
/// </summary>
public sealed class TrainingTunerPopularityTests
{
    [Fact]
    public void On_a_log_without_taste_tuning_weighs_global_popularity_in()
    {
        var train = TasteFree(users: 2000, items: 300, perUser: 6, seed: 5);
        var options = new TrainingOptions { Ranker = false };
        Assert.Equal(0f, options.PopularityWeight);

        var (tuned, report) = TrainingTuner.Tune(train, options, TimeProvider.System);

        Assert.Equal(0, report.Defaults["blend.w_popularity"]);
        Assert.True(report.Chosen["blend.w_popularity"] > 0, report.Reason);
        Assert.Equal((float)report.Chosen["blend.w_popularity"], tuned.PopularityWeight);
        Assert.True(report.ChosenNdcg > report.DefaultNdcg, $"{report.DefaultNdcg:F4} → {report.ChosenNdcg:F4}");
    }

    /// <summary>Each user draws distinct items by one Zipf-like popularity shared by everybody.</summary>
    private static InteractionDataset TasteFree(int users, int items, int perUser, int seed)
    {
        var random = new Random(seed);
        var weights = new double[items];
        var total = 0.0;
        for (var i = 0; i < items; i++)
        {
            weights[i] = 1.0 / (i + 1);
            total += weights[i];
        }

        var u = new List<int>();
        var it = new List<int>();
        var t = new List<long>();
        var taken = new HashSet<int>();
        for (var user = 0; user < users; user++)
        {
            taken.Clear();
            while (taken.Count < perUser)
            {
                var x = random.NextDouble() * total;
                var item = 0;
                while (item < items - 1 && x >= weights[item])
                {
                    x -= weights[item];
                    item++;
                }

                if (taken.Add(item))
                {
                    u.Add(user);
                    it.Add(item);
                    t.Add(1_700_000_000L + (user * perUser) + taken.Count);
                }
            }
        }

        var catalog = new DatasetCatalog(
            new IdIndex(Enumerable.Range(0, users).Select(i => "u" + i)),
            new IdIndex(Enumerable.Range(0, items).Select(i => "i" + i)));
        var values = new float[u.Count];
        Array.Fill(values, 1f);
        return new InteractionDataset(catalog, [.. u], [.. it], values, [.. t]);
    }
}
