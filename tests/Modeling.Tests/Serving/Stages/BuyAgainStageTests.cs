using Cohortly.Contracts;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Repeats;
using Cohortly.Modeling.Rules;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;
using Cohortly.TestSupport;

namespace Cohortly.Modeling.Tests.Serving.Stages;

/// <summary>The buy-again stage through the whole pipeline, on the shared world's bundle with repeat cycles added.</summary>
public sealed class BuyAgainStageTests
{
    private const long Day = 86_400_000;
    private static readonly ServingPolicy RelevanceOnly = new(NoExploration.Instance, 1, 0);
    private static readonly long NowMs = StageWorld.Now.ToUnixTimeMilliseconds();

    /// <summary>The user under test (a training row of at least five items) and three items of that row.</summary>
    private static readonly int User = StageWorld.UserWithHistory();
    private static readonly int Weekly = StageWorld.World.Bundle.UserItems.RowColumns(User)[0];
    private static readonly int Early = StageWorld.World.Bundle.UserItems.RowColumns(User)[1];
    private static readonly int Durable = StageWorld.World.Bundle.UserItems.RowColumns(User)[2];
    private static readonly int Staple = StageWorld.World.Bundle.UserItems.RowColumns(User)[3];

    /// <summary>
    /// Every other user re-buys <see cref="Weekly"/>, <see cref="Early"/>, <see cref="Durable"/> and <see cref="Staple"/>
    /// every 7 days; the user bought Weekly 7 days ago, Early 2 days ago, Durable 7 days ago and Staple 1 day ago.
    /// </summary>
    private static readonly ModelBundle Bundle = WithRepeats();

    private static ModelBundle WithRepeats()
    {
        var bundle = StageWorld.World.Bundle;
        var users = new List<int>();
        var items = new List<int>();
        var times = new List<long>();
        for (var u = 0; u < bundle.UserIds.Count; u += 7)
        {
            if (u == User)
            {
                continue;
            }

            foreach (var item in new[] { Weekly, Early, Durable, Staple })
            {
                for (var t = NowMs - (63 * Day); t < NowMs - (3 * Day); t += 7 * Day)
                {
                    users.Add(u);
                    items.Add(item);
                    times.Add(t);
                }
            }
        }

        foreach (var (item, days) in new[] { (Weekly, 7), (Early, 2), (Durable, 7), (Staple, 1) })
        {
            users.Add(User);
            items.Add(item);
            times.Add(NowMs - (days * Day));
        }

        var categories = new string?[bundle.ItemIds.Count];
        for (var i = 0; i < categories.Length; i++)
        {
            categories[i] = bundle.Items[i].Categories.Count > 0 ? bundle.Items[i].Categories[0] : null;
        }

        var repeats = RepeatModel.Learn([.. users], [.. items], [.. times], bundle.UserIds.Count, categories, new RepeatOptions());
        return ModelBundleCopy.With(bundle, repeats: repeats);
    }

    private static RepeatPolicy PolicyOf(string id) =>
        id == StageWorld.Id(Durable) ? RepeatPolicy.Never : id == StageWorld.Id(Staple) ? RepeatPolicy.Always : RepeatPolicy.Interval;

    private static ServingRequest Request(int slots, int count = 10) => StageWorld.Request(StageWorld.World.Bundle.UserIds[User], count) with
    {
        Policy = RelevanceOnly,
        BuyAgainSlots = slots,
        RepeatPolicyOf = PolicyOf,
    };

    [Fact]
    public void Due_items_lead_the_list_with_the_buy_again_reason_and_the_rest_is_the_models_list()
    {
        var baseline = RecommendationPipeline.Recommend(Bundle, Request(slots: 0));

        var served = RecommendationPipeline.Recommend(Bundle, Request(slots: 3));

        Assert.Equal(10, served.Items.Count);
        Assert.Equal([StageWorld.Id(Weekly), StageWorld.Id(Staple)], served.Items.Take(2).Select(i => i.ItemId));
        Assert.All(served.Items.Take(2), i => Assert.True(i.BuyAgain));
        Assert.All(served.Items.Skip(2), i => Assert.False(i.BuyAgain));
        var title = ExplainStage.Title(Bundle, Weekly);
        Assert.Equal($"you bought {title} 7 days ago; usually re-bought every ~7 days", served.Items[0].Reason);
        Assert.StartsWith($"you bought {ExplainStage.Title(Bundle, Staple)} 1 day ago;", served.Items[1].Reason);
        // Early (bought 2 days ago on a weekly cycle) is not due, Durable's policy is never: neither is served.
        Assert.DoesNotContain(served.Items, i => i.ItemId == StageWorld.Id(Early) || i.ItemId == StageWorld.Id(Durable));
        Assert.Equal(baseline.Items.Take(8).Select(i => i.ItemId), served.Items.Skip(2).Select(i => i.ItemId));
    }

    [Fact]
    public void The_slot_bound_holds()
    {
        var served = RecommendationPipeline.Recommend(Bundle, Request(slots: 1));

        Assert.Equal(10, served.Items.Count);
        Assert.Single(served.Items, i => i.BuyAgain);
        Assert.Equal(StageWorld.Id(Weekly), served.Items[0].ItemId);
        Assert.Equal(2, RecommendationPipeline.Recommend(Bundle, Request(slots: 5, count: 2)).Items.Count(i => i.BuyAgain));
    }

    [Fact]
    public void Without_slots_or_a_policy_lookup_the_list_is_exactly_what_it_was()
    {
        var before = RecommendationPipeline.Recommend(StageWorld.World.Bundle, Request(slots: 0) with { RepeatPolicyOf = null });

        foreach (var request in new[] { Request(slots: 0), Request(slots: 3) with { RepeatPolicyOf = null }, Request(slots: 3) with { RepeatPolicyOf = _ => RepeatPolicy.Never } })
        {
            var after = RecommendationPipeline.Recommend(Bundle, request);
            Assert.Equal(before.Items.Select(i => (i.ItemId, i.Score, i.Reason)), after.Items.Select(i => (i.ItemId, i.Score, i.Reason)));
            Assert.DoesNotContain(after.Items, i => i.BuyAgain);
        }
    }

    [Fact]
    public void A_bundle_without_repeat_cycles_serves_no_buy_again_slot()
    {
        var served = RecommendationPipeline.Recommend(StageWorld.World.Bundle, Request(slots: 3));

        Assert.DoesNotContain(served.Items, i => i.BuyAgain);
    }

    [Fact]
    public void An_unavailable_or_blocked_due_item_is_not_served()
    {
        var unavailable = RecommendationPipeline.Recommend(Bundle, Request(slots: 3) with { IsAvailable = id => id != StageWorld.Id(Weekly) });
        var blocked = RecommendationPipeline.Recommend(Bundle, Request(slots: 3) with
        {
            Rules = RuleBook.Compile(new RuleSet { Rules = [new BlockRule { Id = "b", ItemIds = [StageWorld.Id(Weekly)] }] }),
        });

        Assert.Equal([StageWorld.Id(Staple)], unavailable.Items.Where(i => i.BuyAgain).Select(i => i.ItemId));
        Assert.Equal([StageWorld.Id(Staple)], blocked.Items.Where(i => i.BuyAgain).Select(i => i.ItemId));
    }

    [Fact]
    public void A_purchase_since_training_restarts_the_items_clock()
    {
        var request = Request(slots: 3) with
        {
            RecentItems = [new RecentItem(StageWorld.Id(Weekly), InteractionType.Purchase, NowMs - (Day / 2))],
        };

        var served = RecommendationPipeline.Recommend(Bundle, request);

        Assert.Equal([StageWorld.Id(Staple)], served.Items.Where(i => i.BuyAgain).Select(i => i.ItemId));
    }

    [Fact]
    public void The_pipeline_serves_exactly_what_the_repeat_model_selects_which_the_offline_evaluation_calls()
    {
        var due = Bundle.Repeats!.Due(User, [], i => PolicyOf(Bundle.ItemIds[i]), null, NowMs, 3);

        var served = RecommendationPipeline.Recommend(Bundle, Request(slots: 3));

        Assert.Equal(due.Select(d => Bundle.ItemIds[d.Item]), served.Items.Where(i => i.BuyAgain).Select(i => i.ItemId));
    }

    [Fact]
    public void An_exploration_decision_moves_with_its_pick_and_buy_again_slots_log_none()
    {
        var request = Request(slots: 2) with { Policy = new ServingPolicy(new EpsilonGreedyExploration(0.5), 1, 3), Seed = 4 };
        var without = RecommendationPipeline.Recommend(Bundle, request with { BuyAgainSlots = 0 });

        var served = RecommendationPipeline.Recommend(Bundle, request);

        Assert.NotNull(served.Decisions);
        Assert.Equal(served.Items.Count, served.Decisions!.Length);
        Assert.False(served.Decisions[0].IsLogged);
        Assert.False(served.Decisions[1].IsLogged);
        Assert.Contains(served.Decisions.Skip(2), d => d.IsLogged);
        Assert.NotNull(without.Decisions);
    }
}
