using Cohortly.Contracts;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Serving;

namespace Cohortly.Modeling.Tests.Serving.Stages;

public sealed class ServingHistoryTests
{
    private static readonly long At = StageWorld.Now.ToUnixTimeMilliseconds();

    [Fact]
    public void Positives_since_training_join_the_fold_in_set_once_after_the_training_row()
    {
        var u = StageWorld.UserWithHistory();
        var row = StageWorld.World.Bundle.UserItems.RowColumns(u).ToArray();
        var unseen = StageWorld.Unseen(u, 3);
        var request = StageWorld.Request(StageWorld.World.UserId(u)) with
        {
            RecentItems =
            [
                new RecentItem(StageWorld.Id(unseen[0]), InteractionType.View, At),
                new RecentItem(StageWorld.Id(unseen[0]), InteractionType.Click, At),
                new RecentItem(StageWorld.Id(unseen[1]), InteractionType.Dismiss, At),
                new RecentItem(StageWorld.Id(row[0]), InteractionType.View, At),
                new RecentItem(StageWorld.Id(unseen[2]), InteractionType.AddToCart, At),
            ],
        };

        using var history = ServingHistory.Read(StageWorld.World.Bundle, request, u);

        Assert.Equal([.. row, unseen[0], unseen[2]], history.FoldIn.ToArray());
        Assert.True(history.HasNew);
        Assert.Equal([unseen[0], unseen[0], unseen[1], row[0], unseen[2]], history.Recent.ToArray());
        Assert.Null(history.Interests);
    }

    [Fact]
    public void A_user_with_nothing_new_keeps_the_training_row_only()
    {
        var u = StageWorld.UserWithHistory();
        var row = StageWorld.World.Bundle.UserItems.RowColumns(u).ToArray();
        var request = StageWorld.Request() with { RecentItems = [new RecentItem(StageWorld.Id(row[1]), InteractionType.View, At)] };

        using var history = ServingHistory.Read(StageWorld.World.Bundle, request, u);

        Assert.Equal(row, history.FoldIn.ToArray());
        Assert.False(history.HasNew);
    }

    [Fact]
    public void A_rating_below_the_threshold_is_excluded_but_not_folded_in()
    {
        var unseen = StageWorld.Unseen(0, 2);
        var recent = new RecentItem[] { new(StageWorld.Id(unseen[0]), InteractionType.Rating, At, 1), new(StageWorld.Id(unseen[1]), InteractionType.Rating, At, 5) };

        using var strict = ServingHistory.Read(StageWorld.World.Bundle, StageWorld.Request() with { RecentItems = recent, PositiveRating = 3 }, -1);
        using var lenient = ServingHistory.Read(StageWorld.World.Bundle, StageWorld.Request() with { RecentItems = recent }, -1);

        Assert.Equal([unseen[1]], strict.FoldIn.ToArray());
        Assert.Equal([unseen[0], unseen[1]], lenient.FoldIn.ToArray());
        Assert.Equal([unseen[0], unseen[1]], strict.ExcludedSorted.ToArray());
    }

    [Fact]
    public void Training_row_consumed_items_and_request_exclusions_are_excluded_sorted_and_distinct()
    {
        var u = StageWorld.UserWithHistory();
        var row = StageWorld.World.Bundle.UserItems.RowColumns(u).ToArray();
        var unseen = StageWorld.Unseen(u, 4);
        var request = StageWorld.Request() with
        {
            RecentItems =
            [
                new RecentItem(StageWorld.Id(unseen[3]), InteractionType.Purchase, At),
                new RecentItem(StageWorld.Id(unseen[1]), InteractionType.Dismiss, At),
                new RecentItem(StageWorld.Id(unseen[2]), InteractionType.View, At),
            ],
            Excluded = new HashSet<string> { StageWorld.Id(unseen[0]), StageWorld.Id(unseen[3]), StageWorld.Id(row[0]), "not-in-the-bundle" },
        };

        using var history = ServingHistory.Read(StageWorld.World.Bundle, request, u);

        int[] expected = [.. row, unseen[0], unseen[1], unseen[3]];
        Array.Sort(expected);
        Assert.Equal(expected, history.ExcludedSorted.ToArray());
    }

    [Fact]
    public void Categories_of_items_newer_than_the_model_become_interests_once()
    {
        var request = StageWorld.Request() with
        {
            RecentItems = [new RecentItem("new-1", InteractionType.View, At), new RecentItem("new-2", InteractionType.View, At)],
            CategoriesOf = id => id == "new-1" ? ["Shoes", "Hats"] : ["shoes", "Bags"],
        };

        using var history = ServingHistory.Read(StageWorld.World.Bundle, request, -1);

        Assert.Equal(["Shoes", "Hats", "Bags"], history.Interests);
        Assert.Equal([-1, -1], history.Recent.ToArray());
        Assert.True(history.FoldIn.IsEmpty);
    }
}
