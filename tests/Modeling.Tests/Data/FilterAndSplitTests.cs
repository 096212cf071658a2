using Cohortly.Modeling.Data;

namespace Cohortly.Modeling.Tests.Data;

public sealed class FilterAndSplitTests
{
    private static InteractionDataset Build(params (string User, string Item, float Value, long Time)[] rows)
    {
        var b = new InteractionDatasetBuilder();
        foreach (var (u, i, v, t) in rows)
        {
            b.Add(u, i, v, t);
        }

        return b.Build();
    }

    [Fact]
    public void KCore_repeats_until_every_remaining_user_and_item_has_k_interactions()
    {
        // u1..u3 × {a, b} form a 2-core. "c" is used by u1 and u4; u4 only has "c" and "d": removing u4 (1 left after
        // d goes) must cascade to "c" (then only u1 has it), which a single pass would keep.
        var data = Build(
            ("u1", "a", 1, 1), ("u1", "b", 1, 2), ("u1", "c", 1, 3),
            ("u2", "a", 1, 4), ("u2", "b", 1, 5),
            ("u3", "a", 1, 6), ("u3", "b", 1, 7),
            ("u4", "c", 1, 8), ("u4", "d", 1, 9));

        var core = DatasetFilters.KCore(data, 2, 2).Compact();

        Assert.Equal(6, core.Count);
        Assert.Equal(["u1", "u2", "u3"], core.Catalog.Users.Ids);
        Assert.Equal(["a", "b"], core.Catalog.Items.Ids);
        Assert.All(core.CountPerUser(), c => Assert.True(c >= 2));
        Assert.All(core.CountPerItem(), c => Assert.True(c >= 2));
    }

    [Fact]
    public void MinValue_keeps_only_interactions_at_or_above_the_threshold()
    {
        var data = Build(("u1", "a", 2, 1), ("u1", "b", 3, 2), ("u2", "a", 5, 3));

        var kept = DatasetFilters.MinValue(data, 3);

        Assert.Equal(2, kept.Count);
        Assert.Equal([3f, 5f], kept.Values.ToArray());
    }

    [Theory]
    [InlineData(10, 8, 1, 1)]
    [InlineData(25, 21, 2, 2)]
    [InlineData(5, 3, 1, 1)]
    [InlineData(2, 1, 0, 1)]
    [InlineData(1, 1, 0, 0)]
    public void Split_counts_floor_the_held_out_shares_but_give_small_users_one_each(int total, int train, int valid, int test)
    {
        Assert.Equal((train, valid, test), DatasetSplitter.Counts(total, SplitRatios.Default));
    }

    [Fact]
    public void Random_per_user_split_partitions_every_user_80_10_10_and_is_seeded()
    {
        var data = SyntheticInteractions.PlantedBlocks(50, 200, 2, 20, 0.8, new Random(1)).Data;

        var a = DatasetSplitter.RandomPerUser(data, SplitRatios.Default, new Random(7));
        var b = DatasetSplitter.RandomPerUser(data, SplitRatios.Default, new Random(7));
        var c = DatasetSplitter.RandomPerUser(data, SplitRatios.Default, new Random(8));

        Assert.Equal(data.Count, a.Train.Count + a.Validation.Count + a.Test.Count);
        Assert.All(a.Train.CountPerUser(), n => Assert.Equal(16, n));
        Assert.All(a.Validation.CountPerUser(), n => Assert.Equal(2, n));
        Assert.All(a.Test.CountPerUser(), n => Assert.Equal(2, n));
        var pairs = new HashSet<(int, int)>();
        foreach (var part in new[] { a.Train, a.Validation, a.Test })
        {
            for (var r = 0; r < part.Count; r++)
            {
                Assert.True(pairs.Add((part.Users[r], part.Items[r])), "a pair landed in two parts");
            }
        }

        Assert.Equal(a.Test.Items.ToArray(), b.Test.Items.ToArray());
        Assert.NotEqual(a.Test.Items.ToArray(), c.Test.Items.ToArray());
    }

    [Fact]
    public void Temporal_per_user_split_holds_out_each_users_latest_interactions()
    {
        var data = Build(
            ("u1", "a", 1, 50), ("u1", "b", 1, 10), ("u1", "c", 1, 40), ("u1", "d", 1, 20), ("u1", "e", 1, 30),
            ("u2", "a", 1, 5), ("u2", "b", 1, 1), ("u2", "c", 1, 3), ("u2", "d", 1, 2), ("u2", "e", 1, 4));

        var split = DatasetSplitter.TemporalPerUser(data, SplitRatios.Default);

        // 5 per user → 3 train, 1 valid, 1 test.
        Assert.Equal([50L, 5L], split.Test.Timestamps.ToArray());
        Assert.Equal([40L, 4L], split.Validation.Timestamps.ToArray());
        Assert.Equal(6, split.Train.Count);
    }

    [Fact]
    public void Global_temporal_split_cuts_the_whole_timeline()
    {
        var rows = new List<(string, string, float, long)>();
        for (var i = 0; i < 100; i++)
        {
            rows.Add(("u" + (i % 7), "i" + (i % 13), 1, 1000 - i));
        }

        var split = DatasetSplitter.GlobalTemporal(Build([.. rows]), SplitRatios.Default);

        Assert.Equal((80, 10, 10), (split.Train.Count, split.Validation.Count, split.Test.Count));
        Assert.True(split.Train.Timestamps.ToArray().Max() < split.Validation.Timestamps.ToArray().Min());
        Assert.True(split.Validation.Timestamps.ToArray().Max() < split.Test.Timestamps.ToArray().Min());
    }

    [Fact]
    public void Remove_duplicates_keeps_the_latest_interaction_of_a_pair()
    {
        var data = Build(("u1", "a", 2, 10), ("u1", "a", 5, 20), ("u1", "b", 1, 5));

        var unique = DatasetFilters.RemoveDuplicates(data);

        Assert.Equal(2, unique.Count);
        Assert.Equal([5f, 1f], unique.Values.ToArray().OrderByDescending(v => v).ToArray());
    }
}
