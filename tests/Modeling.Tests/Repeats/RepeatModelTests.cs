using Cohortly.Modeling.Repeats;

namespace Cohortly.Modeling.Tests.Repeats;

public sealed class RepeatModelTests
{
    private const long Day = 86_400_000;
    private static readonly long Now = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    /// <summary>Purchases as parallel arrays, built up by a test.</summary>
    private sealed class Log
    {
        public List<int> Users { get; } = [];

        public List<int> Items { get; } = [];

        public List<long> Times { get; } = [];

        public void Buy(int user, int item, long ms)
        {
            Users.Add(user);
            Items.Add(item);
            Times.Add(ms);
        }

        /// <summary>Every <paramref name="days"/> days (× (1 ± jitter)) from <paramref name="first"/> until <see cref="Now"/>.</summary>
        public void Cycle(int user, int item, double days, long first, Random rng, double jitter = 0.1)
        {
            for (var t = first; t < Now; t += (long)(days * (1 + (jitter * ((2 * rng.NextDouble()) - 1))) * Day))
            {
                Buy(user, item, t);
            }
        }

        public RepeatModel Learn(int users, IReadOnlyList<string?> categories, RepeatOptions? options = null) =>
            RepeatModel.Learn([.. Users], [.. Items], [.. Times], users, categories, options ?? new RepeatOptions());
    }

    private static readonly string?[] Categories = ["grocery", "grocery", "grocery", "beauty", "electronics", "grocery"];

    [Fact]
    public void Planted_item_cycles_are_recovered_within_ten_percent()
    {
        var log = new Log();
        var rng = new Random(3);
        double[] planted = [7, 10, 7, 28];
        for (var u = 0; u < 60; u++)
        {
            for (var item = 0; item < planted.Length; item++)
            {
                log.Cycle(u, item, planted[item], Now - (180 * Day) + (long)(rng.NextDouble() * planted[item] * Day), rng);
            }
        }

        var model = log.Learn(60, Categories);

        for (var item = 0; item < planted.Length; item++)
        {
            Assert.InRange(model.ItemIntervalDays[item], planted[item] * 0.9, planted[item] * 1.1);
            Assert.Equal(60, model.ItemRepeaters[item]);
        }

        Assert.InRange(model.CategoryIntervalDays["grocery"], 6.3, 10.5);
        Assert.InRange(model.CategoryIntervalDays["beauty"], 25.2, 30.8);
    }

    [Fact]
    public void An_item_never_rebought_takes_its_categorys_interval_and_nothing_when_its_category_has_none()
    {
        var log = new Log();
        var rng = new Random(5);
        for (var u = 0; u < 20; u++)
        {
            log.Cycle(u, 0, 7, Now - (60 * Day), rng);
            log.Buy(u, 4, Now - (10 * Day));
            log.Buy(u, 5, Now - (3 * Day));
        }

        var model = log.Learn(20, Categories);

        Assert.Equal(0, model.ItemRepeaters[5]);
        Assert.Equal(model.CategoryIntervalDays["grocery"], model.ItemIntervalDays[5]);
        Assert.True(float.IsNaN(model.ItemIntervalDays[4]), "a durable in a category nobody re-buys has no cycle");
        Assert.True(float.IsNaN(model.ItemIntervalDays[3]));
    }

    [Fact]
    public void One_repeat_buyer_of_an_item_is_shrunk_towards_its_category_on_the_log_scale()
    {
        var log = new Log();
        var rng = new Random(9);
        for (var u = 0; u < 30; u++)
        {
            log.Cycle(u, 0, 7, Now - (90 * Day), rng, jitter: 0);
        }

        log.Buy(40, 1, Now - (30 * Day));
        log.Buy(40, 1, Now - (10 * Day));

        var model = log.Learn(41, Categories, new RepeatOptions { PriorRepeaters = 5 });

        // exp((1·ln 20 + 5·ln 7) / 6) ≈ 8.4: one user's gap of 20 days moves the item only a little away from its category's week.
        var category = model.CategoryIntervalDays["grocery"];
        Assert.InRange(category, 6.9, 7.2);
        Assert.InRange(model.ItemIntervalDays[1], Math.Exp((Math.Log(20) + (5 * Math.Log(category))) / 6) - 0.05, Math.Exp((Math.Log(20) + (5 * Math.Log(category))) / 6) + 0.05);
    }

    [Fact]
    public void Purchases_within_one_visit_are_one_purchase_not_a_repeat()
    {
        var log = new Log();
        log.Buy(0, 0, Now - (5 * Day));
        log.Buy(0, 0, Now - (5 * Day) + (2 * 3_600_000));
        log.Buy(0, 0, Now - (5 * Day) + (3 * 3_600_000));

        var model = log.Learn(1, Categories);

        Assert.Equal(0, model.GlobalRepeaters);
        Assert.True(float.IsNaN(model.GlobalIntervalDays));
        var purchase = Assert.Single(model.PurchasesOf(0));
        Assert.Equal(1, purchase.Purchases);
    }

    /// <summary>Twenty users buy item 0 weekly; user 0's last purchase is <paramref name="daysAgo"/> days before now.</summary>
    private static RepeatModel Weekly(double daysAgo, int users = 20)
    {
        var log = new Log();
        var rng = new Random(11);
        for (var u = 1; u < users; u++)
        {
            log.Cycle(u, 0, 7, Now - (70 * Day), rng, jitter: 0);
        }

        log.Buy(0, 0, Now - (long)(daysAgo * Day));
        return log.Learn(users, Categories);
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(5, false)]
    [InlineData(6, true)]
    [InlineData(7, true)]
    [InlineData(20, true)]
    [InlineData(22, false)]
    public void An_interval_item_is_due_from_four_fifths_of_its_cycle_until_it_lapses_after_three(double daysAgo, bool due)
    {
        var model = Weekly(daysAgo);

        var items = model.Due(0, [], _ => RepeatPolicy.Interval, null, Now, slots: 3);

        Assert.Equal(due, items.Count == 1);
        if (due)
        {
            Assert.Equal(RepeatCycleSource.Item, items[0].Source);
            Assert.InRange(items[0].IntervalDays, 6.9, 7.1);
            Assert.InRange(items[0].ElapsedDays, daysAgo - 0.01, daysAgo + 0.01);
        }
    }

    [Fact]
    public void Never_serves_nothing_and_always_serves_an_item_that_is_not_due_yet()
    {
        var model = Weekly(1);

        Assert.Empty(model.Due(0, [], _ => RepeatPolicy.Never, null, Now, 3));
        Assert.Empty(model.Due(0, [], _ => RepeatPolicy.Interval, null, Now, 3));
        var always = Assert.Single(model.Due(0, [], _ => RepeatPolicy.Always, null, Now, 3));
        Assert.Equal(0, always.Item);
    }

    [Fact]
    public void Always_without_any_known_cycle_still_serves_and_interval_does_not()
    {
        var log = new Log();
        log.Buy(0, 4, Now - (40 * Day));
        var model = log.Learn(1, Categories);

        Assert.Empty(model.Due(0, [], _ => RepeatPolicy.Interval, null, Now, 3));
        var item = Assert.Single(model.Due(0, [], _ => RepeatPolicy.Always, null, Now, 3));
        Assert.Equal(RepeatCycleSource.None, item.Source);
        Assert.True(double.IsNaN(item.IntervalDays));
    }

    [Fact]
    public void A_user_with_enough_repeats_is_due_on_their_own_cycle()
    {
        var log = new Log();
        var rng = new Random(13);
        for (var u = 1; u < 30; u++)
        {
            log.Cycle(u, 0, 14, Now - (120 * Day), rng, jitter: 0);
        }

        // User 0 re-buys every 4 days: by the catalog's fortnight nothing would be due 8 days after their last purchase.
        foreach (var d in new[] { 20, 16, 12, 8 })
        {
            log.Buy(0, 0, Now - (d * Day));
        }

        var model = log.Learn(30, Categories);

        var own = Assert.Single(model.PurchasesOf(0)).OwnIntervalDays;
        Assert.InRange(own, 4, 6);
        var due = Assert.Single(model.Due(0, [], _ => RepeatPolicy.Interval, null, Now, 3));
        Assert.Equal(RepeatCycleSource.User, due.Source);
        Assert.Equal(4, due.Purchases);
    }

    [Fact]
    public void Slots_bound_the_due_items_and_the_closest_to_its_cycle_comes_first()
    {
        var log = new Log();
        var rng = new Random(17);
        for (var u = 1; u < 20; u++)
        {
            foreach (var item in new[] { 0, 1, 2, 5 })
            {
                log.Cycle(u, item, 10, Now - (80 * Day), rng, jitter: 0);
            }
        }

        log.Buy(0, 0, Now - (18 * Day));
        log.Buy(0, 1, Now - (10 * Day));
        log.Buy(0, 2, Now - (9 * Day));
        log.Buy(0, 5, Now - (13 * Day));
        var model = log.Learn(20, Categories);

        var due = model.Due(0, [], _ => RepeatPolicy.Interval, null, Now, slots: 2);

        Assert.Equal([1, 2], due.ConvertAll(d => d.Item));
        Assert.Equal(4, model.Due(0, [], _ => RepeatPolicy.Interval, null, Now, slots: 10).Count);
        Assert.Empty(model.Due(0, [], _ => RepeatPolicy.Interval, null, Now, slots: 0));
    }

    [Fact]
    public void A_purchase_since_training_restarts_the_clock_and_a_first_one_counts_from_its_time()
    {
        var model = Weekly(7);

        Assert.Single(model.Due(0, [], _ => RepeatPolicy.Interval, null, Now, 3));
        Assert.Empty(model.Due(0, [new RecentPurchase(0, Now - Day)], _ => RepeatPolicy.Interval, null, Now, 3));
        var first = Assert.Single(model.Due(19, [], _ => RepeatPolicy.Interval, null, Now, 3));
        Assert.Equal(0, first.Item);
        // A user the model never saw, who bought the weekly item six days ago.
        var unknown = Assert.Single(model.Due(-1, [new RecentPurchase(0, Now - (6 * Day))], _ => RepeatPolicy.Interval, null, Now, 3));
        Assert.Equal(1, unknown.Purchases);
    }

    [Fact]
    public void An_ineligible_item_is_not_served()
    {
        var model = Weekly(7);

        Assert.Empty(model.Due(0, [], _ => RepeatPolicy.Interval, _ => false, Now, 3));
    }

    [Fact]
    public void The_model_round_trips_through_its_binary_form()
    {
        var model = Weekly(7);
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            model.Write(w);
        }

        stream.Position = 0;
        using var r = new BinaryReader(stream);
        var read = RepeatModel.Read(r);

        Assert.Equal(model.ItemIntervalDays, read.ItemIntervalDays);
        Assert.Equal(model.CategoryIntervalDays, read.CategoryIntervalDays);
        Assert.Equal(model.PurchasesOf(0), read.PurchasesOf(0));
        Assert.Equal(model.Due(0, [], _ => RepeatPolicy.Interval, null, Now, 3), read.Due(0, [], _ => RepeatPolicy.Interval, null, Now, 3));
    }

    [Theory]
    [InlineData(28.3, 30.2, RepeatCycleSource.Item, "you bought Coffee beans 28 days ago; usually re-bought every ~30 days")]
    [InlineData(28.3, 30.2, RepeatCycleSource.Category, "you bought Coffee beans 28 days ago; usually re-bought every ~30 days")]
    [InlineData(6.5, 7.4, RepeatCycleSource.User, "you bought Coffee beans 6 days ago; you re-buy it every ~7 days")]
    [InlineData(1.2, double.NaN, RepeatCycleSource.None, "you bought Coffee beans 1 day ago; buy it again")]
    [InlineData(0.2, double.NaN, RepeatCycleSource.None, "you bought Coffee beans today; buy it again")]
    public void The_reason_says_when_it_was_bought_and_its_cycle(double elapsed, double interval, RepeatCycleSource source, string expected)
    {
        Assert.Equal(expected, BuyAgainReason.Text("Coffee beans", new DueItem(0, 0, elapsed, interval, source, 2)));
    }

    [Fact]
    public void Policy_names_parse_and_anything_else_is_refused()
    {
        Assert.True(RepeatPolicies.TryParse("Interval", out var p));
        Assert.Equal(RepeatPolicy.Interval, p);
        Assert.True(RepeatPolicies.TryParse("always", out p));
        Assert.Equal(RepeatPolicy.Always, p);
        Assert.False(RepeatPolicies.TryParse("sometimes", out _));
        Assert.False(RepeatPolicies.TryParse(null, out _));
        foreach (var name in RepeatPolicies.Names)
        {
            Assert.True(RepeatPolicies.TryParse(name, out var parsed));
            Assert.Equal(name, RepeatPolicies.Name(parsed));
        }
    }

    [Fact]
    public void Options_that_make_no_sense_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new RepeatOptions { DueFraction = 2, LapseFactor = 1.5 }.Validate());
        Assert.Throws<ArgumentException>(() => new RepeatOptions { SameVisit = TimeSpan.FromDays(-1) }.Validate());
        Assert.Throws<ArgumentException>(() => new RepeatOptions { MinUserGaps = 0 }.Validate());
        new RepeatOptions().Validate();
    }
}
