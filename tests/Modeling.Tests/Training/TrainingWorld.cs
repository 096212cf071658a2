using Cohortly.Demo.Synthetic;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Training;

/// <summary>A seeded synthetic shop turned into a training input: its history, its catalog (with prices) and planted types.</summary>
internal sealed record TrainingWorld(SyntheticWorld World, TrainingInput Input)
{
    public static readonly DateTimeOffset End = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    public static TrainingWorld Create(int users = 600, int items = 600, int days = 30, int seed = 7, Func<SyntheticUser, IReadOnlyDictionary<string, string>?>? attributes = null, PlantedContext? context = null, int categories = 20, PlantedRepeats? repeats = null)
    {
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = users, Items = items, Context = context, Categories = categories, Repeats = repeats }, seed);
        var history = world.History(End, days, new Random(seed + 1));
        var events = new List<Interaction>(history.Count);
        foreach (var e in history)
        {
            events.Add(e.ToInteraction());
        }

        var catalog = new List<ItemInfo>(world.Items.Count);
        foreach (var item in world.Items)
        {
            catalog.Add(new ItemInfo(item.Id, [item.Category], item.Price));
        }

        var attrs = new List<UserAttributes>();
        if (attributes is not null)
        {
            foreach (var user in world.Users)
            {
                if (attributes(user) is { } a)
                {
                    attrs.Add(new UserAttributes(user.Id, a));
                }
            }
        }

        return new TrainingWorld(world, new TrainingInput(events, catalog, attrs, PreviousSegmentation: null, Version: 1, End));
    }

    public int[] PlantedTypes()
    {
        var planted = new int[World.Users.Count];
        for (var u = 0; u < planted.Length; u++)
        {
            planted[u] = (int)World.Users[u].Type;
        }

        return planted;
    }
}
