using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Modeling.Data;

namespace Cohortly.Modeling.Tests.Cohorts;

/// <summary>A generated shop history as an interaction set (typed events, item categories), with the planted types.</summary>
internal static class WorldData
{
    public static readonly DateTimeOffset End = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    public static (InteractionDataset Data, int[] PlantedTypes) Create(int users, int days, int seed)
    {
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = users, Items = 600 }, seed);
        var events = world.History(End, days, new Random(seed + 1));
        var builder = new InteractionDatasetBuilder();
        foreach (var item in world.Items)
        {
            builder.AddItem(item.Id, new ItemMetadata(item.Title, [item.Category], []));
        }

        foreach (var user in world.Users)
        {
            builder.AddUser(user.Id);
        }

        foreach (var e in events)
        {
            builder.Add(e.UserId, e.ItemId, (float)(e.Value ?? 1), e.Timestamp.ToUnixTimeSeconds(), e.Type.ToWireName());
        }

        var planted = new int[users];
        for (var u = 0; u < users; u++)
        {
            planted[u] = (int)world.Users[u].Type;
        }

        return (builder.Build(), planted);
    }
}
