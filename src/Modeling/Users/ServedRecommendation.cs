using System.Text.Json.Serialization;
using Cohortly.Modeling.Experiments;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Outcomes;

namespace Cohortly.Modeling.Users;

/// <summary>
/// One recommendation response as the user's state remembers it for attribution: its id, when it was served, the
/// served items with how each slot was filled, and where its outcomes are counted (cohort at exposure, model
/// version, experiment and variant, strategy). Per slot one byte of flags: explored, and whether a click, an add to
/// cart and a purchase were already attributed to it (only the first of each type counts).
/// </summary>
/// <remarks>
/// Cost per entry of n items: ~100 bytes of object plus 8n (item references, shared with the catalog and the model)
/// and n flag bytes in memory; ~130 bytes plus the item ids in stored JSON (ModelingTests measure it). A response with
/// logged ε-greedy slot decisions adds 8n bytes (propensity and open count per slot) and ~4n characters of JSON. Entries are
/// recycled in place once the list is full, so serving allocates no new entry in steady state.
/// </remarks>
public sealed class ServedRecommendation
{
    internal const byte ExploredFlag = 1;
    internal const byte ClickedFlag = 2;
    internal const byte CartedFlag = 4;
    internal const byte PurchasedFlag = 8;

    /// <summary>The slot's logged ε-greedy decision placed the greedy arm.</summary>
    internal const byte GreedyFlag = 16;

    /// <summary>The slot's logged ε-greedy decision placed an eligible arm a uniform exploration pick could choose.</summary>
    internal const byte OpenEligibleFlag = 32;

    /// <summary>The response's id (what the API returned, in "N" format).</summary>
    public Guid Id { get; set; }

    /// <summary>When the response was served, unix milliseconds.</summary>
    [JsonPropertyName("At")]
    public long ServedAtMs { get; set; }

    /// <summary>The cohort the response was served for (null: none).</summary>
    [JsonPropertyName("Cohort")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? CohortId { get; set; }

    /// <summary>The model version that served (0: before the first model).</summary>
    [JsonPropertyName("Model")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long ModelVersion { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public ServedStrategy Strategy { get; set; }

    /// <summary>The experiment that served (null: none).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Experiment { get; set; }

    /// <summary>The experiment's variant that served (null: none).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Variant { get; set; }

    /// <summary>Served item ids in slot order.</summary>
    public string[] Items { get; set; } = [];

    /// <summary>
    /// Per slot: explored, clicked, added to cart, purchased, and for a logged ε-greedy decision greedy and open-eligible
    /// (bit flags; base64 in storage).
    /// </summary>
    public byte[] Slots { get; set; } = [];

    /// <summary>
    /// Per slot, the probability μ with which the exploration policy placed the slot's item (0: not a logged decision);
    /// null when no slot of the response was a logged decision (every policy but ε-greedy, and no exploration).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public float[]? Propensities { get; set; }

    /// <summary>Per slot, the eligible arms not yet placed when a logged decision filled it; set with <see cref="Propensities"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int[]? Open { get; set; }

    [JsonIgnore]
    public int Count => Math.Min(Items.Length, Slots.Length);

    public string ItemAt(int slot) => Items[slot];

    public bool IsExplored(int slot) => (Slots[slot] & ExploredFlag) != 0;

    /// <summary>Whether a click, an add to cart and a purchase were attributed to the slot (the user's data export).</summary>
    public (bool Clicked, bool Carted, bool Purchased) OutcomesAt(int slot) =>
        ((Slots[slot] & ClickedFlag) != 0, (Slots[slot] & CartedFlag) != 0, (Slots[slot] & PurchasedFlag) != 0);

    /// <summary>Sets slot <paramref name="slot"/> while the response is being remembered, with its logged decision if it has one.</summary>
    public void SetSlot(int slot, string itemId, bool explored, SlotDecision decision = default)
    {
        Items[slot] = itemId;
        var flags = explored ? ExploredFlag : (byte)0;
        if (decision.IsLogged)
        {
            flags |= (byte)((decision.Greedy ? GreedyFlag : 0) | (decision.OpenEligible ? OpenEligibleFlag : 0));
            (Propensities ??= new float[Items.Length])[slot] = (float)decision.Propensity;
            (Open ??= new int[Items.Length])[slot] = decision.Open;
        }

        Slots[slot] = flags;
    }

    /// <summary>The slot's logged ε-greedy decision as remembered (default when the slot was not one).</summary>
    public SlotDecision DecisionAt(int slot)
    {
        if (Propensities is not { } propensities || slot >= propensities.Length || !(propensities[slot] is > 0 and <= 1))
        {
            return default;
        }

        var flags = Slots[slot];
        var open = Open is { } o && slot < o.Length ? Math.Max(0, o[slot]) : 0;
        return new SlotDecision(propensities[slot], (flags & GreedyFlag) != 0, (flags & OpenEligibleFlag) != 0, open);
    }

    /// <summary>The slot that holds <paramref name="itemId"/>, or -1 (a stored entry whose arrays disagree in length is read up to the shorter).</summary>
    public int SlotOf(string itemId)
    {
        var items = Items;
        var count = Count;
        for (var i = 0; i < count; i++)
        {
            if (string.Equals(items[i], itemId, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The key of the response: what its exposure and its non-explored slots count under.</summary>
    [JsonIgnore]
    public OutcomeKey Key => new(CohortId ?? -1, ModelVersion, Experiment ?? "", Variant ?? "", Strategy);

    /// <summary>The key of one slot: explored slots count under <see cref="ServedStrategy.Explored"/>.</summary>
    public OutcomeKey KeyOf(int slot) => IsExplored(slot) ? Key with { Strategy = ServedStrategy.Explored } : Key;

    /// <summary>
    /// The exposure: one response and its non-explored impressions under the response's key, the explored slots'
    /// impressions under <see cref="ServedStrategy.Explored"/>.
    /// </summary>
    public void RecordExposure(IOutcomeRecorder outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var explored = 0;
        var count = Count;
        SlotDecisionSums exploredDecisions = default, otherDecisions = default;
        for (var i = 0; i < count; i++)
        {
            var decision = DecisionAt(i);
            if (IsExplored(i))
            {
                explored++;
                if (decision.IsLogged)
                {
                    exploredDecisions = exploredDecisions.Plus(SlotDecisionSums.Served(decision));
                }
            }
            else if (decision.IsLogged)
            {
                otherDecisions = otherDecisions.Plus(SlotDecisionSums.Served(decision));
            }
        }

        // A logged decision counts under its slot's key, like the slot's impression: a slot decision that placed the
        // greedy arm is not "explored" but is as much part of the evaluation log as one that explored.
        var at = DateTimeOffset.FromUnixTimeMilliseconds(ServedAtMs);
        var key = Key;
        outcomes.Record(key, new OutcomeCounts { Exposures = 1, Impressions = count - explored, Decisions = otherDecisions }, at);
        if (explored > 0)
        {
            outcomes.Record(key with { Strategy = ServedStrategy.Explored }, new OutcomeCounts { Impressions = explored, Decisions = exploredDecisions }, at);
        }
    }

    internal bool AnySlot(byte flag)
    {
        foreach (var s in Slots)
        {
            if ((s & flag) != 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Makes this entry a new response of <paramref name="count"/> slots, reusing its arrays when they fit.</summary>
    internal void Reset(Guid id, long servedAtMs, int? cohortId, long modelVersion, ServedStrategy strategy, int count)
    {
        Id = id;
        ServedAtMs = servedAtMs;
        CohortId = cohortId;
        ModelVersion = modelVersion;
        Strategy = strategy;
        Experiment = null;
        Variant = null;
        Propensities = null;
        Open = null;
        if (Items.Length != count)
        {
            Items = new string[count];
        }

        if (Slots.Length != count)
        {
            Slots = new byte[count];
        }
        else
        {
            Array.Clear(Slots);
        }
    }
}
