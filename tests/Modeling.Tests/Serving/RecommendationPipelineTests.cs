using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;
using Cohortly.TestSupport;

namespace Cohortly.Modeling.Tests.Serving;

public sealed class RecommendationPipelineTests
{
    private static readonly DateTimeOffset Now = ServingWorld.End.AddHours(5);

    private static readonly ServingPolicy RelevanceOnly = new(NoExploration.Instance, 1, 0);

    /// <summary>No context lift, no MMR, no exploration: what is left is the trained ranker.</summary>
    private static readonly Lazy<ServingWorld> Plain = new(() => ServingBundles.Create(neutralContext: true, defaultPolicy: RelevanceOnly));

    private static ServingRequest RequestFor(ServingWorld w, int user, int count = 10) => new()
    {
        UserId = w.UserId(user),
        CohortId = ServingWorld.CohortIdOf(w.GroupOfUser(user)),
        Now = Now,
        Count = count,
    };

    private static string[] Ids(ServingResult result)
    {
        var ids = new string[result.Items.Count];
        for (var k = 0; k < ids.Length; k++)
        {
            ids[k] = result.Items[k].ItemId;
        }

        return ids;
    }

    private static int[] UsersWithHistory(ServingWorld w, int take)
    {
        var users = new List<int>();
        for (var u = 0; u < w.Bundle.UserItems.Rows && users.Count < take; u++)
        {
            if (w.Bundle.UserItems.RowLength(u) >= 5)
            {
                users.Add(u);
            }
        }

        return [.. users];
    }

    [Fact]
    public void Known_user_without_new_events_gets_the_trained_ranking()
    {
        var w = Plain.Value;
        var scores = new float[w.Bundle.ItemIds.Count];
        foreach (var u in UsersWithHistory(w, 25))
        {
            w.Bundle.Scorer.Score(u, scores);
            var expected = TopK.Select(scores, 10, w.Bundle.UserItems.RowColumns(u));

            var result = RecommendationPipeline.Recommend(w.Bundle, RequestFor(w, u) with { Explore = false });

            var group = w.Bundle.GroupOf(ServingWorld.CohortIdOf(w.GroupOfUser(u))) ?? -1;
            Assert.Equal(ServingIndex.Of(w.Bundle).IsAdapted(group) ? RecommendationPipeline.CohortModel : RecommendationPipeline.GlobalModel, result.Strategy);
            Assert.Equal(12, result.ModelVersion);
            Assert.False(result.Fallback);
            var expectedIds = new string[expected.Length];
            for (var k = 0; k < expected.Length; k++)
            {
                expectedIds[k] = w.Bundle.ItemIds[expected[k]];
            }

            Assert.Equal(expectedIds, Ids(result));
        }
    }

    [Fact]
    public void A_rating_below_the_positive_threshold_is_not_folded_in_as_interest()
    {
        var w = Plain.Value;
        var u = UsersWithHistory(w, 1)[0];
        var row = w.Bundle.UserItems.RowColumns(u).ToArray();
        var unseen = 0;
        while (Array.BinarySearch(row, unseen) >= 0)
        {
            unseen++;
        }

        var item = w.Bundle.ItemIds[unseen];
        var at = Now.ToUnixTimeMilliseconds();
        var plain = RecommendationPipeline.Recommend(w.Bundle, RequestFor(w, u) with { Explore = false, PositiveRating = 3 });
        var low = RecommendationPipeline.Recommend(w.Bundle, RequestFor(w, u) with { Explore = false, PositiveRating = 3, RecentItems = [new RecentItem(item, InteractionType.Rating, at, 1)] });
        var high = RecommendationPipeline.Recommend(w.Bundle, RequestFor(w, u) with { Explore = false, PositiveRating = 3, RecentItems = [new RecentItem(item, InteractionType.Rating, at, 5)] });

        // The low rating only removes the rated item; the ranking of the rest is the trained one.
        Assert.Equal(Ids(plain).Where(id => id != item).Take(9), Ids(low).Take(9));
        Assert.DoesNotContain(item, Ids(low));
        Assert.DoesNotContain(item, Ids(high));
        Assert.NotEqual(Ids(low), Ids(high));
    }

    [Fact]
    public void A_new_recent_event_changes_the_next_recommendation()
    {
        var w = Plain.Value;
        var u = UsersWithHistory(w, 1)[0];
        var before = RecommendationPipeline.Recommend(w.Bundle, RequestFor(w, u));

        // Three views of items from a category the user's current list does not show.
        var shown = new HashSet<string>(Ids(before));
        var row = w.Bundle.UserItems.RowColumns(u).ToArray();
        var recent = new List<RecentItem>();
        for (var i = w.Bundle.ItemIds.Count - 1; i >= 0 && recent.Count < 3; i--)
        {
            if (Array.BinarySearch(row, i) < 0 && !shown.Contains(w.Bundle.ItemIds[i]))
            {
                recent.Add(new RecentItem(w.Bundle.ItemIds[i], InteractionType.View, Now.ToUnixTimeMilliseconds()));
            }
        }

        var after = RecommendationPipeline.Recommend(w.Bundle, RequestFor(w, u) with { RecentItems = recent });

        Assert.NotEqual(Ids(before), Ids(after));
        Assert.Contains(after.Items, i => i.Reason.StartsWith("because you viewed", StringComparison.Ordinal));
    }

    [Fact]
    public void Excluded_unavailable_consumed_and_training_items_are_never_recommended()
    {
        var w = Plain.Value;
        var u = UsersWithHistory(w, 1)[0];
        var first = Ids(RecommendationPipeline.Recommend(w.Bundle, RequestFor(w, u, 20)));
        var excluded = new HashSet<string> { first[0], first[1] };
        var unavailable = new HashSet<string> { first[2], first[3] };
        var purchased = first[4];
        var dismissed = first[5];

        var result = RecommendationPipeline.Recommend(w.Bundle, RequestFor(w, u, 20) with
        {
            Excluded = excluded,
            IsAvailable = id => !unavailable.Contains(id),
            RecentItems = [new RecentItem(purchased, InteractionType.Purchase, 1), new RecentItem(dismissed, InteractionType.Dismiss, 2)],
        });

        var ids = Ids(result);
        Assert.Equal(20, ids.Length);
        foreach (var id in excluded.Concat(unavailable).Append(purchased).Append(dismissed))
        {
            Assert.DoesNotContain(id, ids);
        }

        foreach (var i in w.Bundle.UserItems.RowColumns(u))
        {
            Assert.DoesNotContain(w.Bundle.ItemIds[i], ids);
        }
    }

    [Fact]
    public void Unavailable_flags_by_item_index_exclude_items_without_asking_for_each_id()
    {
        var w = Plain.Value;
        var u = UsersWithHistory(w, 1)[0];
        var first = Ids(RecommendationPipeline.Recommend(w.Bundle, RequestFor(w, u, 20)));
        var flags = new bool[w.Bundle.ItemIds.Count];
        flags[w.Bundle.ItemIndex(first[0])!.Value] = true;
        flags[w.Bundle.ItemIndex(first[3])!.Value] = true;
        var asked = 0;

        var ids = Ids(RecommendationPipeline.Recommend(w.Bundle, RequestFor(w, u, 20) with
        {
            UnavailableItems = flags,
            IsAvailable = _ =>
            {
                asked++;
                return true;
            },
        }));

        Assert.Equal(20, ids.Length);
        Assert.DoesNotContain(first[0], ids);
        Assert.DoesNotContain(first[3], ids);
        Assert.Contains(first[1], ids);
        Assert.Equal(0, asked);
    }

    [Fact]
    public void Viewed_but_not_consumed_recent_items_stay_eligible()
    {
        var w = Plain.Value;
        var u = UsersWithHistory(w, 1)[0];
        var first = Ids(RecommendationPipeline.Recommend(w.Bundle, RequestFor(w, u)));

        var result = RecommendationPipeline.Recommend(w.Bundle, RequestFor(w, u) with
        {
            RecentItems = [new RecentItem(first[0], InteractionType.View, 1)],
        });

        Assert.Contains(first[0], Ids(result));
    }

    [Fact]
    public void Category_filters_hold_for_known_and_new_items()
    {
        var w = Plain.Value;
        var u = UsersWithHistory(w, 1)[0];
        var categoryOf = new Dictionary<string, string>();
        for (var i = 0; i < w.Bundle.ItemIds.Count; i++)
        {
            categoryOf[w.Bundle.ItemIds[i]] = w.Bundle.Items[i].Categories[0];
        }

        var target = w.Bundle.Items[0].Categories[0];
        var included = RecommendationPipeline.Recommend(w.Bundle, RequestFor(w, u) with
        {
            IncludeCategories = [target.ToUpperInvariant()],
            CohortTrending = [new TrendingItem("fresh-in-target", 5), new TrendingItem("fresh-elsewhere", 4)],
            CategoriesOf = id => id switch { "fresh-in-target" => [target], "fresh-elsewhere" => ["nowhere"], _ => null },
            Count = 200,
        });

        Assert.NotEmpty(included.Items);
        Assert.All(included.Items, item => Assert.Equal(target, item.ItemId == "fresh-in-target" ? target : categoryOf[item.ItemId]));
        Assert.Contains("fresh-in-target", Ids(included));
        Assert.DoesNotContain("fresh-elsewhere", Ids(included));

        var excluded = RecommendationPipeline.Recommend(w.Bundle, RequestFor(w, u, 30) with { ExcludeCategories = [target] });

        Assert.Equal(30, excluded.Items.Count);
        Assert.All(excluded.Items, item => Assert.NotEqual(target, categoryOf[item.ItemId]));
    }

    [Fact]
    public void Cohort_unknown_to_the_bundle_is_served_by_the_global_model_with_a_reason()
    {
        var w = Plain.Value;
        var u = UsersWithHistory(w, 1)[0];

        var unknown = RecommendationPipeline.Recommend(w.Bundle, RequestFor(w, u) with { CohortId = 7 });
        var none = RecommendationPipeline.Recommend(w.Bundle, RequestFor(w, u) with { CohortId = null });

        Assert.True(unknown.Fallback);
        Assert.Equal("cohort 7 has no model in version 12", unknown.FallbackReason);
        Assert.Equal(RecommendationPipeline.GlobalModel, unknown.Strategy);
        Assert.Equal(Ids(none), Ids(unknown));
        Assert.False(none.Fallback);
        Assert.Null(none.FallbackReason);
    }

    [Fact]
    public void Visitor_with_only_a_provisional_cohort_gets_the_cohorts_trending_items_first()
    {
        var w = Plain.Value;
        var scores = new float[w.Bundle.ItemIds.Count];
        w.Bundle.Popularity.ScoreGroup(-1, scores);
        // Three unpopular items trend in the cohort right now.
        var unpopular = TopK.Select(Negated(scores), 3).Select(i => w.Bundle.ItemIds[i]).ToArray();
        // A cohort that did not adopt its own popularity: with no history the blend has nothing to rank by.
        var group = -1;
        for (var g = 0; g < w.Bundle.Scorer.GroupCount && group < 0; g++)
        {
            group = w.Bundle.Scorer.Decisions[g].Weights[^1] == 0 ? g : -1;
        }

        Assert.True(group >= 0, "some planted cohort keeps the global popularity weight");
        var cohort = ServingWorld.CohortIdOf(group);

        var result = RecommendationPipeline.Recommend(w.Bundle, new ServingRequest
        {
            UserId = "visitor-with-attributes",
            CohortId = cohort,
            CohortLabel = "planted cohort",
            ProvisionalCohort = true,
            Now = Now,
            Count = 5,
            Explore = false,
            CohortTrending = [.. unpopular.Select((id, r) => new TrendingItem(id, 10 - r))],
        });

        Assert.Equal(RecommendationPipeline.ColdStartPopularity, result.Strategy);
        Assert.Equal(unpopular, Ids(result).Take(3));
        Assert.All(result.Items.Take(3), item => Assert.Equal("popular in your cohort \"planted cohort\"", item.Reason));
        Assert.All(result.Items, item => Assert.True(item.Score != 0, "cold start ranks by real scores"));
    }

    private static float[] Negated(float[] values) => [.. values.Select(v => -v)];

    [Fact]
    public void Visitor_without_history_or_cohort_gets_popular_items()
    {
        var w = Plain.Value;
        var scores = new float[w.Bundle.ItemIds.Count];
        w.Bundle.Popularity.ScoreGroup(-1, scores);
        var popular = TopK.Select(scores, 5);

        var result = RecommendationPipeline.Recommend(w.Bundle, new ServingRequest { UserId = "nobody", Now = Now, Count = 5 });

        Assert.Equal(RecommendationPipeline.ColdStartPopularity, result.Strategy);
        Assert.Equal(popular.Select(i => w.Bundle.ItemIds[i]), Ids(result));
        Assert.All(result.Items, item => Assert.Equal("trending with all shoppers", item.Reason));
    }

    [Fact]
    public void Visitor_whose_only_items_are_new_gets_items_of_their_categories()
    {
        var w = Plain.Value;
        var category = w.Bundle.Items[3].Categories[0];

        var result = RecommendationPipeline.Recommend(w.Bundle, new ServingRequest
        {
            UserId = "newcomer",
            Now = Now,
            Count = 5,
            RecentItems = [new RecentItem("just-added", InteractionType.View, 1)],
            CategoriesOf = id => id == "just-added" ? [category] : null,
        });

        Assert.Equal(RecommendationPipeline.ColdStartContent, result.Strategy);
        Assert.Equal(5, result.Items.Count);
        Assert.All(result.Items, item =>
        {
            Assert.Equal(category, w.Bundle.Items[w.Bundle.ItemIndex(item.ItemId)!.Value].Categories[0]);
            Assert.Equal($"similar to your interests in {category}", item.Reason);
        });
    }

    [Fact]
    public void Without_exploration_the_result_is_deterministic_and_nothing_is_explored()
    {
        var w = ServingBundles.Default;
        var u = UsersWithHistory(w, 1)[0];
        var request = RequestFor(w, u) with { Explore = false, Device = "mobile", Arms = _ => new ArmEvidence(10, 1, Now.AddDays(-30)) };

        var a = RecommendationPipeline.Recommend(w.Bundle, request with { Seed = 1 });
        var b = RecommendationPipeline.Recommend(w.Bundle, request with { Seed = 2 });

        Assert.Equal(Ids(a), Ids(b));
        Assert.All(a.Items, item => Assert.False(item.Explored));
    }

    [Fact]
    public void Exploration_fills_the_policy_slots_reproducibly_for_a_seed()
    {
        var policy = new ServingPolicy(new EpsilonGreedyExploration(1), 1, 2);
        var w = ServingBundles.Default;
        var u = UsersWithHistory(w, 1)[0];
        var cohort = ServingWorld.CohortIdOf(w.GroupOfUser(u));
        var bundle = WithPolicy(w.Bundle, cohort, policy);
        var request = RequestFor(w, u) with { Arms = _ => new ArmEvidence(10, 1, Now.AddDays(-30)) };
        var plain = Ids(RecommendationPipeline.Recommend(bundle, request with { Explore = false }));

        var lists = new List<string[]>();
        for (var seed = 1; seed <= 5; seed++)
        {
            var result = RecommendationPipeline.Recommend(bundle, request with { Seed = seed });
            var again = RecommendationPipeline.Recommend(bundle, request with { Seed = seed });
            Assert.Equal(Ids(result), Ids(again));
            Assert.Equal(10, result.Items.Count);
            Assert.Equal([false, false, false, false, false, false, false, false, true, true], result.Items.Select(i => i.Explored));
            Assert.Equal(plain[..8], Ids(result)[..8]);
            Assert.All(result.Items.Where(i => i.Explored), i => Assert.Equal("exploring something new", i.Reason));
            lists.Add(Ids(result));
        }

        Assert.True(lists.Select(l => string.Join(',', l)).Distinct().Count() > 1, "different seeds explore different items");
    }

    [Fact]
    public void A_new_trending_item_can_surface_through_exploration()
    {
        var w = ServingBundles.Default;
        var u = UsersWithHistory(w, 1)[0];
        var cohort = ServingWorld.CohortIdOf(w.GroupOfUser(u));
        var bundle = WithPolicy(w.Bundle, cohort, new ServingPolicy(new Ucb1Exploration(1), 1, 1));

        var result = RecommendationPipeline.Recommend(bundle, RequestFor(w, u) with
        {
            CohortTrending = [new TrendingItem("launch-day", 3)],
            CategoriesOf = id => id == "launch-day" ? ["gadgets"] : null,
        });

        var last = result.Items[^1];
        Assert.Equal("launch-day", last.ItemId);
        Assert.True(last.Explored);
        Assert.Equal("new in gadgets", last.Reason);
    }

    [Fact]
    public void Reasons_name_the_recent_item_with_its_event_verb()
    {
        var w = Plain.Value;
        var viewed = w.Bundle.ItemIds[5];
        var bought = w.Bundle.ItemIds[6];

        var result = RecommendationPipeline.Recommend(w.Bundle, new ServingRequest
        {
            UserId = "fresh-visitor",
            Now = Now,
            RecentItems = [new RecentItem(viewed, InteractionType.View, 1), new RecentItem(bought, InteractionType.Purchase, 2)],
        });

        Assert.Equal(RecommendationPipeline.GlobalModel, result.Strategy);
        Assert.Contains(result.Items, i => i.Reason == $"because you viewed {w.Bundle.Items[5].Title}" || i.Reason == $"because you bought {w.Bundle.Items[6].Title}");
        Assert.DoesNotContain(bought, Ids(result));
        Assert.Contains(result.Items, i => i.Reason.StartsWith("because you", StringComparison.Ordinal));
    }

    [Fact]
    public void Cohort_popularity_reason_uses_the_cohort_label()
    {
        var w = Plain.Value;
        var group = -1;
        for (var g = 0; g < w.Bundle.Scorer.GroupCount && group < 0; g++)
        {
            group = w.Bundle.Scorer.Decisions[g].Weights[^1] > 0 ? g : -1;
        }

        Assert.True(group >= 0, "some planted cohort adopts its own popularity");

        // A member of that cohort with no history: the cohort's popularity is what ranks.
        var request = new ServingRequest { UserId = "anon", CohortId = ServingWorld.CohortIdOf(group), Now = Now };
        var fromBundle = RecommendationPipeline.Recommend(w.Bundle, request);
        var fromRequest = RecommendationPipeline.Recommend(w.Bundle, request with { CohortLabel = "night owls" });

        Assert.Equal(RecommendationPipeline.CohortModel, fromBundle.Strategy);
        Assert.Contains(fromBundle.Items, i => i.Reason == $"popular in your cohort \"{(BehaviorType)group}\"");
        Assert.Contains(fromRequest.Items, i => i.Reason == "popular in your cohort \"night owls\"");
    }

    [Fact]
    public void Explanations_list_each_signal_and_add_up_to_the_score()
    {
        var w = ServingBundles.Default;
        var u = UsersWithHistory(w, 1)[0];

        var result = RecommendationPipeline.Recommend(w.Bundle, RequestFor(w, u) with { Explain = true, Explore = false, Device = "mobile" });

        var contextMoved = false;
        foreach (var item in result.Items)
        {
            Assert.NotNull(item.Contributions);
            var names = item.Contributions!.Select(c => c.Feature).ToArray();
            Assert.Contains("ials", names);
            Assert.Contains("itemknn", names);
            Assert.Contains("context", names);
            Assert.Equal(item.Score, item.Contributions!.Sum(c => c.Value), 3);
            contextMoved |= item.Contributions!.First(c => c.Feature == "context").Value != 0;
        }

        Assert.True(contextMoved, "the device and hour lift moves some scores");
        Assert.All(RecommendationPipeline.Recommend(w.Bundle, RequestFor(w, u)).Items, i => Assert.Null(i.Contributions));
    }

    [Fact]
    public void Similar_items_are_neighbours_without_the_item_itself_or_unavailable_items()
    {
        var w = Plain.Value;
        var item = w.Bundle.ItemIds[10];
        var neighbours = w.Bundle.Neighbors.NeighborItems(10).ToArray().Select(i => w.Bundle.ItemIds[i]).ToHashSet();
        var all = RecommendationPipeline.Similar(w.Bundle, item, 5, null)!;
        var blocked = all[0].ItemId;

        var similar = RecommendationPipeline.Similar(w.Bundle, item, 5, id => id != blocked)!;

        Assert.Equal(5, similar.Count);
        Assert.DoesNotContain(similar, s => s.ItemId == item || s.ItemId == blocked);
        Assert.Equal(similar.Count, similar.Select(s => s.ItemId).Distinct().Count());
        Assert.Contains(similar, s => neighbours.Contains(s.ItemId));
        Assert.True(similar.Zip(similar.Skip(1)).Where(p => neighbours.Contains(p.First.ItemId) && neighbours.Contains(p.Second.ItemId)).All(p => p.First.Score >= p.Second.Score));
        Assert.Null(RecommendationPipeline.Similar(w.Bundle, "not-in-the-catalog", 5, null));
    }

    [Fact]
    public void Similar_tops_up_with_factor_neighbours_when_item_knn_has_too_few()
    {
        var w = Plain.Value;
        var item = w.Bundle.ItemIds[10];
        var knn = w.Bundle.Neighbors.NeighborItems(10).Length;

        var similar = RecommendationPipeline.Similar(w.Bundle, item, knn + 5, null)!;

        Assert.Equal(knn + 5, similar.Count);
        Assert.DoesNotContain(similar, s => s.ItemId == item);
        Assert.Equal(similar.Count, similar.Select(s => s.ItemId).Distinct().Count());
    }

    [Fact]
    public void Concurrent_requests_give_the_same_results_as_sequential_ones()
    {
        var w = ServingBundles.Default;
        var users = UsersWithHistory(w, 60);
        var requests = new ServingRequest[users.Length * 2];
        for (var k = 0; k < users.Length; k++)
        {
            var u = users[k];
            requests[2 * k] = RequestFor(w, u) with { Seed = k, Device = k % 2 == 0 ? "mobile" : "desktop", Arms = _ => new ArmEvidence(5, 1, Now) };
            requests[(2 * k) + 1] = RequestFor(w, u) with
            {
                UserId = "visitor" + ServingBundles.Id(k),
                CohortId = k % 3 == 0 ? null : ServingWorld.CohortIdOf(k % 5),
                RecentItems = [new RecentItem(w.Bundle.ItemIds[k], InteractionType.View, 1), new RecentItem(w.Bundle.ItemIds[k + 1], InteractionType.AddToCart, 2)],
                Explain = true,
            };
        }

        var sequential = requests.Select(r => RecommendationPipeline.Recommend(w.Bundle, r)).ToArray();
        var parallel = new ServingResult[requests.Length];
        Parallel.For(0, requests.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, x =>
            parallel[x % requests.Length] = RecommendationPipeline.Recommend(w.Bundle, requests[x % requests.Length]));

        for (var k = 0; k < requests.Length; k++)
        {
            Assert.Equal(Ids(sequential[k]), Ids(parallel[k]));
            Assert.Equal(sequential[k].Items.Select(i => (i.Score, i.Reason, i.Explored)), parallel[k].Items.Select(i => (i.Score, i.Reason, i.Explored)));
        }
    }

    private static ModelBundle WithPolicy(ModelBundle b, int cohort, ServingPolicy policy) =>
        ModelBundleCopy.With(b, new Dictionary<int, ServingPolicy> { [cohort] = policy }, RelevanceOnly);
}
