using Cohortly.Contracts;
using Cohortly.Modeling.Serving;

namespace Cohortly.Demo.Synthetic;

/// <summary>
/// A recommendation list as a shopper sees it: the response's id, the strategy that served it (the wire value, e.g.
/// <c>cohort-model</c>), the items in slot order, and the experiment and variant when the response names them.
/// </summary>
public sealed record ServedRecommendation(
    string RecommendationId,
    string Strategy,
    int? CohortId,
    IReadOnlyList<string> ItemIds,
    string? Experiment = null,
    string? Variant = null)
{
    /// <summary>
    /// What the planted preference reads: the experiment arm when the response names one (<c>cohort-model</c> or
    /// <c>global-baseline</c>), else the strategy. An experiment's arms are what the cluster has to tell apart, also in
    /// cohorts where training adopted no weights of their own and both arms are served by the global blend.
    /// </summary>
    public string PlantedArm => Variant switch
    {
        null => Strategy,
        "cohort-model" => RecommendationPipeline.CohortModel,
        _ => RecommendationPipeline.GlobalModel,
    };
}

/// <summary>What one shopper did with one served slot.</summary>
public readonly record struct SlotResponse(bool Examined, bool Clicked, bool AddedToCart, bool Purchased);

/// <summary>
/// The planted ground truth of how shoppers answer recommendations: the simulation knows it, the cluster's statistics
/// have to find it. A slot at 0-based position p is examined with probability (1 + p)^-η (the power-law position
/// bias of Joachims et al., η = <see cref="SyntheticWorldOptions.PositionBias"/>); an examined item is clicked with
/// probability <see cref="ListAttention"/> × clickRate(type) × taste(user, item), times <see cref="SyntheticWorldOptions.CohortModelLift"/> when the
/// list was served by the cohort's own model (<c>cohort-model</c>) and the shopper's behaviour type is one of
/// <see cref="SyntheticWorldOptions.CohortModelSegments"/> — everywhere else the strategy makes no difference.
/// A click becomes an add-to-cart with probability cartRate(type) × (½ + ½ taste) and a purchase with purchaseRate(type).
/// </summary>
public sealed class ShopperResponseModel
{
    /// <summary>Taste of an item outside the shopper's favourite categories, relative to a favourite one.</summary>
    public const double OffCategoryTaste = 0.1;

    /// <summary>
    /// A looked-at slot of a served list gets this share of the attention an item the shopper went to on their own gets.
    /// At 1 the keenest types clicked something in nearly every list (the first run showed a clicked-exposure rate of 1.0
    /// for high spenders), and a saturated rate cannot show a lift; at ½ the per-response rates stay well below 1.
    /// </summary>
    public const double ListAttention = 0.5;

    /// <summary>Width of the price fit around the shopper's price preference, in price quantiles of the category.</summary>
    private const double PriceWidth = 0.2;

    private readonly SyntheticWorld _world;
    private readonly bool[] _preferCohortModel;

    internal ShopperResponseModel(SyntheticWorld world)
    {
        _world = world;
        _preferCohortModel = new bool[Enum.GetValues<BehaviorType>().Length];
        foreach (var type in world.Options.CohortModelSegments)
        {
            _preferCohortModel[(int)type] = true;
        }
    }

    /// <summary>Whether shoppers of this type click more on lists served by their cohort's model (the planted effect).</summary>
    public bool PrefersCohortModel(BehaviorType type) => _preferCohortModel[(int)type];

    /// <summary>Probability that a shopper looks at the slot at 0-based <paramref name="position"/>.</summary>
    public double Examination(int position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        return Math.Pow(1 + position, -_world.Options.PositionBias);
    }

    /// <summary>The shopper's true taste for an item in [0, 1]: favourite category and closeness to the preferred price.</summary>
    public double Taste(SyntheticUser user, SyntheticItem item)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(item);
        var category = _world.CategoryIndex(item);
        var favourite = false;
        for (var i = 0; i < user.FavoriteCategories.Count; i++)
        {
            favourite |= user.FavoriteCategories[i] == category;
        }

        var distance = _world.PriceQuantile(item) - user.PricePreference;
        var priceFit = Math.Exp(-(distance * distance) / (2 * PriceWidth * PriceWidth));
        return (favourite ? 1.0 : OffCategoryTaste) * (0.25 + (0.75 * priceFit));
    }

    /// <summary>Probability of a click on an examined item, given the strategy that served the list.</summary>
    public double ClickGivenExamined(SyntheticUser user, SyntheticItem item, string strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        var p = ListAttention * SyntheticWorld.BehaviorProfile.For(user.Type).ClickRate * Taste(user, item);
        if (PrefersCohortModel(user.Type) && strategy == RecommendationPipeline.CohortModel)
        {
            p *= _world.Options.CohortModelLift;
        }

        return Math.Min(1.0, p);
    }

    /// <summary>Probability of a click on the slot: examination × click given examined.</summary>
    public double Click(SyntheticUser user, SyntheticItem item, int position, string strategy) =>
        Examination(position) * ClickGivenExamined(user, item, strategy);

    /// <summary>Draws what the shopper does with one served slot.</summary>
    public SlotResponse Respond(SyntheticUser user, SyntheticItem item, int position, string strategy, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (rng.NextDouble() >= Examination(position))
        {
            return default;
        }

        if (rng.NextDouble() >= ClickGivenExamined(user, item, strategy))
        {
            return new SlotResponse(true, false, false, false);
        }

        var profile = SyntheticWorld.BehaviorProfile.For(user.Type);
        if (rng.NextDouble() >= profile.CartRate * (0.5 + (0.5 * Taste(user, item))))
        {
            return new SlotResponse(true, true, false, false);
        }

        return new SlotResponse(true, true, true, rng.NextDouble() < profile.PurchaseRate);
    }

    /// <summary>
    /// The events of a shopper going through a served list from <paramref name="start"/>: a view of each examined slot,
    /// then click, add-to-cart and purchase as drawn, each carrying the response's id and the slot's position.
    /// Items the world does not know (another catalog's) are passed over.
    /// </summary>
    public List<SyntheticEvent> Session(SyntheticUser user, ServedRecommendation served, DateTimeOffset start, Random rng)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(served);
        ArgumentNullException.ThrowIfNull(rng);
        var events = new List<SyntheticEvent>();
        var t = start;
        for (var position = 0; position < served.ItemIds.Count; position++)
        {
            if (!_world.TryGetItem(served.ItemIds[position], out var item))
            {
                continue;
            }

            var response = Respond(user, item, position, served.PlantedArm, rng);
            if (!response.Examined)
            {
                continue;
            }

            events.Add(_world.NewEvent(user, item, InteractionType.View, null, t, served.RecommendationId, position));
            t = t.AddSeconds(2 + rng.Next(10));
            if (response.Clicked)
            {
                events.Add(_world.NewEvent(user, item, InteractionType.Click, null, t, served.RecommendationId, position));
                t = t.AddSeconds(5 + rng.Next(30));
            }

            if (response.AddedToCart)
            {
                events.Add(_world.NewEvent(user, item, InteractionType.AddToCart, null, t, served.RecommendationId, position));
                t = t.AddSeconds(5 + rng.Next(60));
            }

            if (response.Purchased)
            {
                var quantity = user.Type == BehaviorType.FrequentHighSpender ? 1 + rng.Next(3) : 1;
                events.Add(_world.NewEvent(user, item, InteractionType.Purchase, Math.Round(item.Price * quantity, 2), t, served.RecommendationId, position));
                t = t.AddSeconds(10);
            }
        }

        return events;
    }
}
