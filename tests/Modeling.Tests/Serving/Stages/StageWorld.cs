using Cohortly.Modeling.Serving;

namespace Cohortly.Modeling.Tests.Serving.Stages;

/// <summary>Shared pieces of the stage tests: the fitted world, a request, users with a training row.</summary>
internal static class StageWorld
{
    public static readonly DateTimeOffset Now = ServingWorld.End.AddHours(5);

    public static ServingWorld World => ServingBundles.Default;

    public static ServingIndex Index => ServingIndex.Of(World.Bundle);

    public static ServingRequest Request(string userId = "someone", int count = 10) => new() { UserId = userId, Now = Now, Count = count };

    /// <summary>The first user of the bundle with at least five training items.</summary>
    public static int UserWithHistory()
    {
        var bundle = World.Bundle;
        for (var u = 0; u < bundle.UserItems.Rows; u++)
        {
            if (bundle.UserItems.RowLength(u) >= 5)
            {
                return u;
            }
        }

        throw new InvalidOperationException("the synthetic world has no user with five items");
    }

    /// <summary>Items of the bundle not in the user's training row, lowest index first.</summary>
    public static int[] Unseen(int user, int take)
    {
        var row = World.Bundle.UserItems.RowColumns(user).ToArray();
        var result = new List<int>();
        for (var i = 0; i < World.Bundle.ItemIds.Count && result.Count < take; i++)
        {
            if (Array.BinarySearch(row, i) < 0)
            {
                result.Add(i);
            }
        }

        return [.. result];
    }

    public static string Id(int item) => World.Bundle.ItemIds[item];
}
