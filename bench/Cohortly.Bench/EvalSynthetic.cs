using System.Globalization;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Events;

namespace Cohortly.Bench;

/// <summary>
/// <c>evaluate --synthetic USERS</c>: the demo's seeded synthetic shop (USERS users, USERS / 2 items, 30 days ending
/// 2026-06-01 or <c>--synthetic-days</c>, world seed 7; <c>--synthetic-repeats</c> plants replenishment cycles) as an
/// event data set: every non-negative event is a row valued by its implicit-feedback
/// weight (view 1 … purchase), with its type, item category and price as metadata. Generated, so it ships with the
/// repo's code and can be measured anywhere.
/// </summary>
internal static class EvalSynthetic
{
    private static readonly DateTimeOffset End = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    public static InteractionDataset Create(int users, int seed = 7, PlantedRepeats? repeats = null, int days = 30)
    {
        if (users < 10)
        {
            throw new ArgumentException("--synthetic needs at least 10 users");
        }

        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = users, Items = Math.Max(50, users / 2), Repeats = repeats }, seed);
        var builder = new InteractionDatasetBuilder();
        foreach (var item in world.Items)
        {
            builder.AddItem(item.Id, new ItemMetadata(item.Title, [item.Category], item.Tags));
        }

        foreach (var e in world.History(End, days, new Random(seed + 1)))
        {
            var semantics = EventTypes.Of(e.Type);
            if (semantics.Polarity == Polarity.Negative)
            {
                continue;
            }

            builder.Add(e.UserId, e.ItemId, (float)semantics.WeightOf(e.Value), e.Timestamp.ToUnixTimeSeconds(), e.Type.ToWireName());
        }

        return builder.Build();
    }

    public static string Name(int users) => "synthetic-" + users.ToString(CultureInfo.InvariantCulture);
}
