using Cohortly.Contracts;

namespace Cohortly.Demo.Synthetic;

/// <summary>A planted repeat cycle: staples of the category at index <see cref="Category"/> are re-bought every <see cref="Days"/> days.</summary>
public readonly record struct PlantedCycle(int Category, double Days);

/// <summary>
/// Replenishment to plant (<see cref="SyntheticWorldOptions.Repeats"/>): a share of the users keep a few staples from
/// the cycled categories and re-buy each at its category's cycle × the user's own pace (a factor drawn per user, so a
/// user's cycle can differ from the catalog's), each gap jittered. Drawn from a generator of its own and appended after
/// the rest of the history, so everything else is exactly as without the plant. What the repeat-cycle learning should
/// recover, and what a buy-again slot can hit.
/// </summary>
public sealed record PlantedRepeats
{
    /// <summary>Default cycles: grocery weekly, beauty every four weeks, pets every two weeks (indices in the world's categories).</summary>
    public IReadOnlyList<PlantedCycle> Cycles { get; init; } = [new(8, 7), new(7, 28), new(14, 14)];

    public double ShareOfUsers { get; init; } = 0.4;

    public int StaplesPerUser { get; init; } = 2;

    /// <summary>A user's pace: their cycle is the category's × a factor uniform in [1 − Pace, 1 + Pace].</summary>
    public double Pace { get; init; } = 0.2;

    /// <summary>Relative standard deviation of each gap around the user's cycle.</summary>
    public double Jitter { get; init; } = 0.1;

    /// <summary>
    /// The planted purchases within [<paramref name="end"/> − <paramref name="days"/>, <paramref name="end"/>): a view,
    /// an add to cart and a purchase per replenishment.
    /// </summary>
    internal List<SyntheticEvent> History(SyntheticWorld world, DateTimeOffset end, int days, Random rng)
    {
        var events = new List<SyntheticEvent>();
        if (Cycles.Count == 0)
        {
            return events;
        }

        var start = end.AddDays(-days);
        foreach (var user in world.Users)
        {
            if (rng.NextDouble() >= ShareOfUsers)
            {
                continue;
            }

            var pace = 1 + (Pace * ((2 * rng.NextDouble()) - 1));
            for (var s = 0; s < StaplesPerUser; s++)
            {
                var cycle = Cycles[rng.Next(Cycles.Count)];
                var members = world.ItemsOf(cycle.Category);
                if (members.Count == 0)
                {
                    continue;
                }

                var item = members[rng.Next(members.Count)];
                var period = cycle.Days * pace;
                var t = start.AddDays(rng.NextDouble() * period);
                while (t < end)
                {
                    events.Add(world.NewEvent(user, item, InteractionType.View, null, t));
                    events.Add(world.NewEvent(user, item, InteractionType.AddToCart, null, t.AddSeconds(20)));
                    events.Add(world.NewEvent(user, item, InteractionType.Purchase, item.Price, t.AddSeconds(40)));
                    var gap = period * Math.Max(0.3, 1 + (Jitter * Gaussian(rng)));
                    t = t.AddDays(gap);
                }
            }
        }

        return events;
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
