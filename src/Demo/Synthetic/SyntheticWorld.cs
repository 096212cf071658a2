using Cohortly.Contracts;
using Cohortly.Modeling.Events;

namespace Cohortly.Demo.Synthetic;

/// <summary>The behaviour types planted in generated users. Tests check that segmentation recovers them.</summary>
public enum BehaviorType
{
    FrequentHighSpender = 0,
    WindowShopper = 1,
    BargainHunter = 2,
    CategoryLoyalist = 3,
    DormantReturner = 4,
}

public sealed record SyntheticItem(string Id, string Title, string Category, IReadOnlyList<string> Tags, double Price, double Popularity);

public sealed record SyntheticUser(string Id, BehaviorType Type, IReadOnlyList<int> FavoriteCategories, double PricePreference, string Device);

/// <summary>A generated event, ready to be sent to the API; events answering a served list carry its id and the slot.</summary>
public sealed record SyntheticEvent(
    string EventId,
    string UserId,
    string ItemId,
    InteractionType Type,
    double? Value,
    DateTimeOffset Timestamp,
    string Device,
    string? RecommendationId = null,
    int? Position = null)
{
    /// <summary>The session's other context keys (the planted referrer), null when the world plants none.</summary>
    public IReadOnlyDictionary<string, string>? Context { get; init; }

    public Interaction ToInteraction() => new(UserId, ItemId, Type, Value, Timestamp.ToUnixTimeMilliseconds(), Device, Context);
}

/// <summary>
/// A planted context preference: every session carries <see cref="Key"/> with one of <see cref="Values"/> (uniformly,
/// from a generator of its own, so the rest of the world is drawn exactly as without the plant), and in sessions
/// with <see cref="Value"/> a shopper picks an item of <see cref="Category"/> with probability <see cref="Strength"/>
/// before their usual choice. What context training should learn, and nothing else.
/// </summary>
public sealed record PlantedContext
{
    public string Key { get; init; } = "referrer";

    public IReadOnlyList<string> Values { get; init; } = ["direct", "search", "social"];

    /// <summary>The value whose sessions prefer <see cref="Category"/>.</summary>
    public string Value { get; init; } = "social";

    /// <summary>Index of the preferred category in the world's categories.</summary>
    public int Category { get; init; } = 5;

    public double Strength { get; init; } = 0.4;
}

public sealed record SyntheticWorldOptions
{
    public int Items { get; init; } = 2000;

    public int Categories { get; init; } = 20;

    public int Users { get; init; } = 1000;

    /// <summary>Prefix of user ids, so several worlds can share one cluster.</summary>
    public string UserPrefix { get; init; } = "u";

    /// <summary>Position bias η: a shopper examines the slot at 0-based position p with probability (1 + p)^-η.</summary>
    public double PositionBias { get; init; } = 0.8;

    /// <summary>
    /// The planted effect: in <see cref="CohortModelSegments"/>, an examined item of a list served by the cohort's own
    /// model is clicked this many times as often as the same item served by any other strategy (1: no effect; below 1:
    /// the cohort model is worse there).
    /// </summary>
    public double CohortModelLift { get; init; } = 1.5;

    /// <summary>The behaviour types whose shoppers respond to <see cref="CohortModelLift"/>; the others do not care which model served.</summary>
    public IReadOnlyList<BehaviorType> CohortModelSegments { get; init; } = [BehaviorType.FrequentHighSpender, BehaviorType.CategoryLoyalist];

    /// <summary>A context preference to plant (null: sessions carry no context beyond the device, as before).</summary>
    public PlantedContext? Context { get; init; }

    /// <summary>Replenishment cycles to plant (null: nobody re-buys on a cycle, as before).</summary>
    public PlantedRepeats? Repeats { get; init; }
}

/// <summary>
/// A seeded synthetic shop: a catalog with categories and prices, and users drawn from planted
/// behaviour types. Used by the demo traffic generator, by tests and by benchmarks.
/// </summary>
public sealed class SyntheticWorld
{
    private static readonly string[] CategoryNames =
    [
        "electronics", "books", "fashion", "home", "garden", "toys", "sports", "beauty", "grocery", "music",
        "movies", "games", "automotive", "health", "pets", "office", "baby", "jewelry", "tools", "outdoors",
    ];

    private static readonly string[] Adjectives = ["classic", "smart", "compact", "deluxe", "eco", "pro", "mini", "ultra", "vintage", "essential"];

    private readonly int[][] _itemsByCategory;
    private readonly Dictionary<string, int> _itemIndex;
    private readonly int[] _itemCategory;
    private readonly double[] _priceQuantile;
    private long _eventCounter;
    private readonly Random _contextRng;

    private SyntheticWorld(SyntheticWorldOptions options, IReadOnlyList<string> categories, IReadOnlyList<SyntheticItem> items, IReadOnlyList<SyntheticUser> users)
    {
        // The plant's own generator: the world's draws are the same with or without it.
        _contextRng = new Random(items.Count * 31 + users.Count);
        Options = options;
        Categories = categories;
        Items = items;
        Users = users;
        _itemsByCategory = new int[categories.Count][];
        _itemIndex = new Dictionary<string, int>(items.Count, StringComparer.Ordinal);
        _itemCategory = new int[items.Count];
        _priceQuantile = new double[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            _itemIndex[items[i].Id] = i;
        }

        for (var c = 0; c < categories.Count; c++)
        {
            var members = new List<int>();
            for (var i = 0; i < items.Count; i++)
            {
                if (items[i].Category == categories[c])
                {
                    members.Add(i);
                }
            }

            // Cheapest first, so a price preference maps to a position in the array.
            members.Sort((a, b) => items[a].Price.CompareTo(items[b].Price));
            _itemsByCategory[c] = [.. members];
            for (var rank = 0; rank < members.Count; rank++)
            {
                _itemCategory[members[rank]] = c;
                _priceQuantile[members[rank]] = members.Count == 1 ? 0.5 : rank / (double)(members.Count - 1);
            }
        }

        Responses = new ShopperResponseModel(this);
    }

    public SyntheticWorldOptions Options { get; }

    public IReadOnlyList<string> Categories { get; }

    public IReadOnlyList<SyntheticItem> Items { get; }

    public IReadOnlyList<SyntheticUser> Users { get; }

    /// <summary>How shoppers answer served recommendations: the planted ground truth (taste, position bias, planted lift).</summary>
    public ShopperResponseModel Responses { get; }

    public static SyntheticWorld Create(SyntheticWorldOptions options, int seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Categories < 1 || options.Categories > CategoryNames.Length * 10)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "categories must be between 1 and 200");
        }

        if (!(options.PositionBias >= 0 && options.PositionBias <= 5))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "positionBias must be between 0 and 5");
        }

        if (!(options.CohortModelLift > 0 && options.CohortModelLift <= 10))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "cohortModelLift must be above 0 and at most 10");
        }

        ArgumentNullException.ThrowIfNull(options.CohortModelSegments);
        foreach (var type in options.CohortModelSegments)
        {
            if (!Enum.IsDefined(type))
            {
                throw new ArgumentOutOfRangeException(nameof(options), $"cohortModelSegments holds an unknown behaviour type {(int)type}");
            }
        }

        var rng = new Random(seed);
        var categories = new string[options.Categories];
        for (var c = 0; c < categories.Length; c++)
        {
            categories[c] = c < CategoryNames.Length ? CategoryNames[c] : $"{CategoryNames[c % CategoryNames.Length]}-{c / CategoryNames.Length}";
        }

        var items = new SyntheticItem[options.Items];
        for (var i = 0; i < items.Length; i++)
        {
            var c = i % categories.Length;
            // Log-normal prices around a per-category level: some categories are dearer.
            var level = 10 + (c * 7 % 60);
            var price = Math.Round(level * Math.Exp(Normal(rng) * 0.6), 2);
            var adjective = Adjectives[rng.Next(Adjectives.Length)];
            var rank = (i / categories.Length) + 1;
            items[i] = new SyntheticItem(
                $"item-{i:D5}",
                $"{adjective} {categories[c]} item {rank}",
                categories[c],
                [adjective, categories[c]],
                Math.Max(0.99, price),
                1.0 / Math.Pow(rank, 0.8));
        }

        var types = Enum.GetValues<BehaviorType>();
        var users = new SyntheticUser[options.Users];
        for (var u = 0; u < users.Length; u++)
        {
            var type = types[u % types.Length];
            var favorites = type switch
            {
                BehaviorType.CategoryLoyalist => 1,
                BehaviorType.WindowShopper => 6,
                _ => 3,
            };
            // A small catalog cannot give a window shopper six distinct favourites; without the cap this loop never ends.
            favorites = Math.Min(favorites, categories.Length);
            var picks = new List<int>(favorites);
            while (picks.Count < favorites)
            {
                var c = rng.Next(categories.Length);
                if (!picks.Contains(c))
                {
                    picks.Add(c);
                }
            }

            var pricePreference = type switch
            {
                BehaviorType.FrequentHighSpender => 0.85,
                BehaviorType.BargainHunter => 0.05,
                _ => 0.5,
            };
            var device = type switch
            {
                BehaviorType.WindowShopper => "mobile",
                BehaviorType.FrequentHighSpender => "desktop",
                _ => rng.NextDouble() < 0.5 ? "mobile" : "desktop",
            };
            users[u] = new SyntheticUser($"{options.UserPrefix}{u:D6}", type, picks, pricePreference, device);
        }

        return new SyntheticWorld(options, categories, items, users);
    }

    /// <summary>
    /// A history of <paramref name="days"/> days ending at <paramref name="end"/> for every user,
    /// in time order. Dormant returners are silent for most of it and come back at the end.
    /// </summary>
    public List<SyntheticEvent> History(DateTimeOffset end, int days, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var events = new List<SyntheticEvent>();
        var start = end.AddDays(-days);
        foreach (var user in Users)
        {
            var profile = BehaviorProfile.For(user.Type);
            var sessions = Math.Max(1, (int)Math.Round(profile.SessionsPerWeek * days / 7.0 * (0.7 + (0.6 * rng.NextDouble()))));
            for (var s = 0; s < sessions; s++)
            {
                double dayOffset;
                if (user.Type == BehaviorType.DormantReturner)
                {
                    // Active in the first fifth, silent, then back in the last few days.
                    dayOffset = s < sessions / 2 ? rng.NextDouble() * days * 0.2 : days - (rng.NextDouble() * Math.Min(3, days));
                }
                else
                {
                    dayOffset = rng.NextDouble() * days;
                }

                var sessionStart = start.AddDays(dayOffset);
                sessionStart = AlignToHabit(sessionStart, user, rng);
                if (sessionStart > end)
                {
                    sessionStart = end.AddMinutes(-30);
                }

                events.AddRange(Session(user, sessionStart, rng));
            }
        }

        if (Options.Repeats is { } repeats)
        {
            // After everything else, from a generator of its own: the rest of the history is unchanged by the plant.
            events.AddRange(repeats.History(this, end, days, new Random((Items.Count * 17) + Users.Count + days)));
        }

        events.Sort(static (a, b) => a.Timestamp.CompareTo(b.Timestamp));
        return events;
    }

    /// <summary>The items of the category at index <paramref name="category"/>, cheapest first (empty for an unknown index).</summary>
    public IReadOnlyList<SyntheticItem> ItemsOf(int category)
    {
        if ((uint)category >= (uint)_itemsByCategory.Length)
        {
            return [];
        }

        var members = _itemsByCategory[category];
        var items = new SyntheticItem[members.Length];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = Items[members[i]];
        }

        return items;
    }

    /// <summary>One browsing session of a user starting at <paramref name="start"/>; events are seconds to minutes apart.</summary>
    public List<SyntheticEvent> Session(SyntheticUser user, DateTimeOffset start, Random rng)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(rng);
        var profile = BehaviorProfile.For(user.Type);
        var count = Math.Max(1, (int)Math.Round(profile.EventsPerSession * (0.5 + rng.NextDouble())));
        var events = new List<SyntheticEvent>(count * 2);
        var t = start;
        var plant = Options.Context;
        IReadOnlyDictionary<string, string>? context = null;
        var planted = false;
        if (plant is not null)
        {
            string value;
            lock (_contextRng)
            {
                value = plant.Values[_contextRng.Next(plant.Values.Count)];
            }

            context = new Dictionary<string, string>(StringComparer.Ordinal) { [plant.Key] = value };
            planted = value == plant.Value && plant.Category < _itemsByCategory.Length && _itemsByCategory[plant.Category].Length > 0;
        }

        for (var i = 0; i < count; i++)
        {
            var item = PickItem(user, rng);
            if (planted && rng.NextDouble() < plant!.Strength)
            {
                var members = _itemsByCategory[plant.Category];
                item = Items[members[rng.Next(members.Length)]];
            }

            var first = events.Count;
            events.Add(NewEvent(user, item, InteractionType.View, null, t));
            t = t.AddSeconds(15 + rng.Next(profile.SecondsPerEvent));
            var r = rng.NextDouble();
            if (r < profile.ClickRate)
            {
                events.Add(NewEvent(user, item, InteractionType.Click, null, t));
                t = t.AddSeconds(5 + rng.Next(30));
                if (rng.NextDouble() < profile.CartRate)
                {
                    events.Add(NewEvent(user, item, InteractionType.AddToCart, null, t));
                    t = t.AddSeconds(5 + rng.Next(60));
                    if (rng.NextDouble() < profile.PurchaseRate)
                    {
                        var quantity = user.Type == BehaviorType.FrequentHighSpender ? 1 + rng.Next(3) : 1;
                        events.Add(NewEvent(user, item, InteractionType.Purchase, Math.Round(item.Price * quantity, 2), t));
                        t = t.AddSeconds(10);
                    }
                }
            }
            else if (r > 1 - profile.DismissRate)
            {
                events.Add(NewEvent(user, item, InteractionType.Dismiss, null, t));
            }

            for (var k = first; context is not null && k < events.Count; k++)
            {
                events[k] = events[k] with { Context = context };
            }
        }

        return events;
    }

    /// <summary>Draws a user with probability proportional to how active its type is.</summary>
    public SyntheticUser PickActiveUser(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        while (true)
        {
            var user = Users[rng.Next(Users.Count)];
            if (rng.NextDouble() * 6 < BehaviorProfile.For(user.Type).SessionsPerWeek)
            {
                return user;
            }
        }
    }

    private SyntheticItem PickItem(SyntheticUser user, Random rng)
    {
        // Mostly favourite categories; sometimes anything (exploration of the catalog).
        var category = rng.NextDouble() < 0.85
            ? user.FavoriteCategories[rng.Next(user.FavoriteCategories.Count)]
            : rng.Next(Categories.Count);
        var members = _itemsByCategory[category];
        if (members.Length == 0)
        {
            return Items[rng.Next(Items.Count)];
        }

        // Price preference picks a position in the price-sorted list, jittered; popularity skews the choice.
        var centre = user.PricePreference * (members.Length - 1);
        var spread = Math.Max(2, members.Length * 0.15);
        var index = (int)Math.Round(centre + (Normal(rng) * spread));
        if (rng.NextDouble() < 0.4)
        {
            // Popular items: a Zipf-like pick among the category's best sellers.
            index = (int)(Math.Pow(rng.NextDouble(), 3) * Math.Min(members.Length, 20));
            index = members.Length - 1 - index;
            if (user.PricePreference < 0.3)
            {
                index = members.Length - 1 - index;
            }
        }

        return Items[members[Math.Clamp(index, 0, members.Length - 1)]];
    }

    /// <summary>The world's item with this id, if it has one.</summary>
    public bool TryGetItem(string itemId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SyntheticItem? item)
    {
        ArgumentNullException.ThrowIfNull(itemId);
        if (_itemIndex.TryGetValue(itemId, out var index))
        {
            item = Items[index];
            return true;
        }

        item = null;
        return false;
    }

    internal int CategoryIndex(SyntheticItem item) => _itemCategory[_itemIndex[item.Id]];

    /// <summary>The item's price rank within its category, 0 (cheapest) to 1 (dearest): the scale of a user's price preference.</summary>
    internal double PriceQuantile(SyntheticItem item) => _priceQuantile[_itemIndex[item.Id]];

    internal SyntheticEvent NewEvent(SyntheticUser user, SyntheticItem item, InteractionType type, double? value, DateTimeOffset t, string? recommendationId = null, int? position = null)
    {
        var n = Interlocked.Increment(ref _eventCounter);
        return new SyntheticEvent($"{user.Id}-{n}", user.Id, item.Id, type, value, t, user.Device, recommendationId, position);
    }

    private static DateTimeOffset AlignToHabit(DateTimeOffset t, SyntheticUser user, Random rng)
    {
        var hour = user.Type switch
        {
            BehaviorType.WindowShopper => 22 + rng.Next(4),
            BehaviorType.FrequentHighSpender => 18 + rng.Next(4),
            _ => 9 + rng.Next(10),
        };
        return new DateTimeOffset(t.Year, t.Month, t.Day, 0, 0, 0, TimeSpan.Zero).AddHours(hour).AddMinutes(rng.Next(60));
    }

    private static double Normal(Random rng)
    {
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    internal sealed record BehaviorProfile(double SessionsPerWeek, double EventsPerSession, int SecondsPerEvent, double ClickRate, double CartRate, double PurchaseRate, double DismissRate)
    {
        private static readonly BehaviorProfile HighSpender = new(6, 8, 60, 0.6, 0.5, 0.7, 0.02);
        private static readonly BehaviorProfile Window = new(5, 14, 40, 0.35, 0.08, 0.05, 0.10);
        private static readonly BehaviorProfile Bargain = new(3, 7, 90, 0.5, 0.35, 0.5, 0.05);
        private static readonly BehaviorProfile Loyalist = new(3, 5, 120, 0.5, 0.3, 0.45, 0.02);
        private static readonly BehaviorProfile Dormant = new(1.5, 4, 60, 0.4, 0.2, 0.3, 0.03);

        public static BehaviorProfile For(BehaviorType type) => type switch
        {
            BehaviorType.FrequentHighSpender => HighSpender,
            BehaviorType.WindowShopper => Window,
            BehaviorType.BargainHunter => Bargain,
            BehaviorType.CategoryLoyalist => Loyalist,
            _ => Dormant,
        };
    }
}
