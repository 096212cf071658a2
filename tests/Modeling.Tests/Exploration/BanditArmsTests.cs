using System.Text.Json;
using Cohortly.Modeling.Exploration;

namespace Cohortly.Modeling.Tests.Exploration;

public sealed class BanditArmsTests
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Deltas_accumulate_and_unknown_arms_are_dated_at_first_delta()
    {
        var book = new BanditArms();
        book.Apply([new RewardDelta("a", 10, 2), new RewardDelta("b", 5, 0)], T0);
        book.Apply([new RewardDelta("a", 7, 1)], T0.AddSeconds(1));

        Assert.True(book.TryGet("a", out var a));
        Assert.Equal(17, a.Impressions);
        Assert.Equal(3, a.Rewards);
        Assert.Equal(T0, a.FirstSeen);
        Assert.Equal(new Cohortly.Modeling.Statistics.BetaPosterior(4, 15), book.Posterior("a"));
    }

    [Fact]
    public void Most_shown_arms_come_first_with_ties_by_id_and_at_most_the_destination_length()
    {
        var book = new BanditArms();
        book.Apply([new RewardDelta("c", 5, 1), new RewardDelta("a", 9, 0), new RewardDelta("d", 5, 2), new RewardDelta("b", 1, 0)], T0);

        var top = new ArmRecordValue[3];
        Assert.Equal(3, book.MostShown(top));
        Assert.Equal([new ArmRecordValue("a", 9, 0, T0), new ArmRecordValue("c", 5, 1, T0), new ArmRecordValue("d", 5, 2, T0)], top);

        var all = new ArmRecordValue[10];
        Assert.Equal(4, book.MostShown(all));
        Assert.Equal(["a", "c", "d", "b"], all.Take(4).Select(x => x.ArmId));
        Assert.Equal(0, new BanditArms().MostShown(all));
    }

    [Fact]
    public void Keeping_the_most_shown_forgets_the_rest()
    {
        var book = new BanditArms();
        book.Apply([new RewardDelta("c", 5, 1), new RewardDelta("a", 9, 0), new RewardDelta("d", 5, 2), new RewardDelta("b", 1, 0)], T0);

        Assert.Equal(2, book.KeepMostShown(2));
        Assert.Equal(["a", "c"], book.ToState().Arms.Select(x => x.ArmId));
        Assert.Equal(0, book.KeepMostShown(5));
        Assert.False(book.TryGet("d", out _));
    }

    [Fact]
    public void Observe_keeps_the_earliest_first_seen()
    {
        var book = new BanditArms();
        book.Observe("x", T0.AddDays(1));
        book.Observe("x", T0);
        book.Observe("x", T0.AddDays(2));

        Assert.Equal(T0, book.Candidate("x", 0.5, T0.AddDays(5)).FirstSeen);
        Assert.Equal(T0.AddDays(5), book.Candidate("unknown", 0.5, T0.AddDays(5)).FirstSeen);
    }

    [Fact]
    public void A_bad_delta_batch_changes_nothing()
    {
        var book = new BanditArms();
        book.Apply([new RewardDelta("a", 1, 1)], T0);

        Assert.Throws<ArgumentException>(() => book.Apply([new RewardDelta("a", 5, 1), new RewardDelta("b", -1, 0)], T0));

        Assert.True(book.TryGet("a", out var a));
        Assert.Equal(1, a.Impressions);
        Assert.False(book.TryGet("b", out _));
    }

    [Fact]
    public void State_round_trips_through_json()
    {
        var book = new BanditArms();
        book.Apply([new RewardDelta("b", 10, 2.5), new RewardDelta("a", 3, 1)], T0);
        book.Observe("c", T0.AddHours(-3));

        var json = JsonSerializer.Serialize(book.ToState());
        var restored = new BanditArms(JsonSerializer.Deserialize<BanditArmsState>(json)!);

        Assert.Equal(3, restored.Count);
        Assert.Equal(book.ToState().Arms, restored.ToState().Arms);
        Assert.Equal(["a", "b", "c"], restored.ToState().Arms.Select(x => x.ArmId));
    }
}
