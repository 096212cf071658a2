using System.Text.Json.Serialization;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Outcomes;

namespace Cohortly.Modeling.Users;

/// <summary>
/// The user's recent responses for attribution, oldest first, as one flat ring: a header per response and a fixed
/// number of slots per response, in two arrays allocated with the state (8 responses × 10 slots by default, ~1.8 KB).
/// </summary>
/// <remarks>
/// <para>Why flat and allocated up front: a user state is usually old (its activation lives for minutes to hours), and
/// every object a request hangs off an old object survives the next collection of the youngest generation, which has
/// to find it through the card table and copy it. Responses kept as objects (an entry with four arrays, ~450 bytes per
/// response) made every recommendation leave such objects behind, and the pauses grew with the requests served since
/// the last collection. Here a response writes numbers and references to strings the model and the catalog already
/// hold into arrays as old as the state, so serving leaves nothing behind; the arrays grow only for a response of more
/// slots than any before (then once) or a larger configured capacity.</para>
/// <para>Stored as the JSON array of entries it always was (<see cref="ServedLogJsonConverter"/>), so states written
/// before load unchanged.</para>
/// </remarks>
[JsonConverter(typeof(ServedLogJsonConverter))]
public sealed class ServedLog
{
    /// <summary>Slots per response reserved up front: the API's default count.</summary>
    public const int DefaultWidth = 10;

    internal const byte ExploredFlag = 1;
    internal const byte ClickedFlag = 2;
    internal const byte CartedFlag = 4;
    internal const byte PurchasedFlag = 8;

    /// <summary>The slot's logged ε-greedy decision placed the greedy arm.</summary>
    internal const byte GreedyFlag = 16;

    /// <summary>The slot's logged ε-greedy decision placed an eligible arm a uniform exploration pick could choose.</summary>
    internal const byte OpenEligibleFlag = 32;

    /// <summary>The slot was a buy-again slot (a due repeat purchase): its impression and outcomes count under <see cref="ServedStrategy.BuyAgain"/>.</summary>
    internal const byte BuyAgainFlag = 64;

    private Header[] _headers;
    private Slot[] _slots;

    // Per slot, the merchandising rule that placed or re-scored its item: allocated the first time a rule applies, so a
    // user no rule ever touched pays nothing for it.
    private string?[]? _rules;
    private int _width;
    private int _start;
    private int _count;

    public ServedLog()
        : this(UserStateOptions.Default.RecentRecommendations, DefaultWidth)
    {
    }

    public ServedLog(int capacity, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        _headers = new Header[capacity];
        _slots = new Slot[capacity * width];
        _width = width;
    }

    /// <summary>Responses held.</summary>
    public int Count => _count;

    /// <summary>Response <paramref name="index"/>, 0 being the oldest.</summary>
    public ServedRecommendation this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _count);
            return new ServedRecommendation(this, Physical(index));
        }
    }

    /// <summary>Forgets every response (the arrays stay for the next one).</summary>
    public void Clear()
    {
        Array.Clear(_headers);
        Array.Clear(_slots);
        if (_rules is not null)
        {
            Array.Clear(_rules);
        }

        _start = 0;
        _count = 0;
    }

    /// <summary>
    /// Makes room for a response of <paramref name="count"/> slots served at <paramref name="servedAtMs"/>: drops the
    /// oldest while <paramref name="capacity"/> responses are held and every response served before
    /// <paramref name="cutoffMs"/>, then takes the next place of the ring, cleared.
    /// </summary>
    internal ServedRecommendation Add(Guid id, long servedAtMs, int? cohortId, long modelVersion, ServedStrategy strategy, int count, int capacity, long cutoffMs)
    {
        while (_count > 0 && (_count >= capacity || _headers[_start].ServedAtMs < cutoffMs))
        {
            _headers[_start] = default;
            _start = (_start + 1) % _headers.Length;
            _count--;
        }

        Reshape(Math.Max(capacity, _headers.Length), Math.Max(count, _width));
        var physical = Physical(_count);
        _count++;
        _headers[physical] = new Header
        {
            Id = id,
            ServedAtMs = servedAtMs,
            CohortId = cohortId ?? NoCohort,
            ModelVersion = modelVersion,
            Strategy = strategy,
            Count = count,
        };
        Array.Clear(_slots, physical * _width, _width);
        if (_rules is not null)
        {
            Array.Clear(_rules, physical * _width, _width);
        }

        return new ServedRecommendation(this, physical);
    }

    private const int NoCohort = int.MinValue;

    private int Physical(int index) => (_start + index) % _headers.Length;

    /// <summary>Grows the ring to <paramref name="capacity"/> responses of <paramref name="width"/> slots, keeping what it holds (oldest at 0).</summary>
    private void Reshape(int capacity, int width)
    {
        if (capacity == _headers.Length && width == _width)
        {
            return;
        }

        var headers = new Header[capacity];
        var slots = new Slot[capacity * width];
        var rules = _rules is null ? null : new string?[capacity * width];
        for (var i = 0; i < _count; i++)
        {
            var from = Physical(i);
            headers[i] = _headers[from];
            Array.Copy(_slots, from * _width, slots, i * width, _width);
            if (rules is not null)
            {
                Array.Copy(_rules!, from * _width, rules, i * width, _width);
            }
        }

        _headers = headers;
        _slots = slots;
        _rules = rules;
        _width = width;
        _start = 0;
    }

    internal ref Header HeaderAt(int physical) => ref _headers[physical];

    internal ref Slot SlotAt(int physical, int slot) => ref _slots[(physical * _width) + slot];

    internal string? RuleAt(int physical, int slot) => _rules is { } rules ? rules[(physical * _width) + slot] : null;

    internal void SetRule(int physical, int slot, string? rule)
    {
        if (rule is null && _rules is null)
        {
            return;
        }

        (_rules ??= new string?[_slots.Length])[(physical * _width) + slot] = rule;
    }

    internal static int? Cohort(in Header h) => h.CohortId == NoCohort ? null : h.CohortId;

    internal struct Header
    {
        public Guid Id;
        public long ServedAtMs;
        public long ModelVersion;
        public int CohortId;
        public int Count;
        public ServedStrategy Strategy;
        public bool Logged;
        public string? Experiment;
        public string? Variant;
    }

    /// <summary>
    /// One served slot in 16 bytes: the item (a reference the model or catalog holds), the logged decision's propensity,
    /// and its flags (low 8 bits) with the decision's open-arm count (high 24 bits, at most <see cref="MaxOpen"/>).
    /// </summary>
    internal struct Slot
    {
        public string? Item;
        public float Propensity;
        public uint Packed;

        public readonly byte Flags => (byte)Packed;

        public readonly int Open => (int)(Packed >> 8);

        public void SetFlags(byte flags) => Packed = (Packed & ~0xFFu) | flags;

        public void SetOpen(int open) => Packed = (Packed & 0xFFu) | ((uint)Math.Clamp(open, 0, MaxOpen) << 8);
    }

    /// <summary>The largest open-arm count a slot keeps (2^24 − 1: more eligible arms than any catalog here has).</summary>
    internal const int MaxOpen = (1 << 24) - 1;
}

/// <summary>
/// One remembered response, a view into the user's <see cref="ServedLog"/>: its id, when it was served, the served
/// items with how each slot was filled, and where its outcomes are counted (cohort at exposure, model version,
/// experiment and variant, strategy). Per slot: explored, whether a click, a cart add and a purchase were already
/// attributed to it (only the first of each counts), and for an ε-greedy decision its propensity, greedy and
/// open-eligible bits and open-arm count (off-policy evaluation).
/// </summary>
/// <remarks>Valid until the log recycles its place for a newer response.</remarks>
public readonly struct ServedRecommendation : IEquatable<ServedRecommendation>
{
    private readonly ServedLog _log;
    private readonly int _at;

    internal ServedRecommendation(ServedLog log, int physical)
    {
        _log = log;
        _at = physical;
    }

    private ref ServedLog.Header H => ref _log.HeaderAt(_at);

    /// <summary>The place in the log this view reads (the same place for a recycled entry).</summary>
    internal int Place => _at;

    /// <summary>The response's id (what the API returned, in "N" format).</summary>
    public Guid Id => H.Id;

    /// <summary>When the response was served, unix milliseconds.</summary>
    public long ServedAtMs => H.ServedAtMs;

    /// <summary>The cohort the response was served for (null: none).</summary>
    public int? CohortId => ServedLog.Cohort(H);

    /// <summary>The model version that served (0: before the first model).</summary>
    public long ModelVersion => H.ModelVersion;

    public ServedStrategy Strategy => H.Strategy;

    /// <summary>The experiment that served (null: none).</summary>
    public string? Experiment
    {
        get => H.Experiment;
        set => H.Experiment = value;
    }

    /// <summary>The experiment's variant that served (null: none).</summary>
    public string? Variant
    {
        get => H.Variant;
        set => H.Variant = value;
    }

    /// <summary>Served slots.</summary>
    public int Count => H.Count;

    /// <summary>Whether any slot of the response was placed or re-scored by a merchandising rule.</summary>
    public bool HasRules
    {
        get
        {
            for (var i = 0; i < Count; i++)
            {
                if (_log.RuleAt(_at, i) is not null)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Whether any slot of the response holds a logged decision.</summary>
    public bool HasDecisions => H.Logged;

    public string ItemAt(int slot) => Slot(slot).Item ?? "";

    public bool IsExplored(int slot) => (Slot(slot).Flags & ServedLog.ExploredFlag) != 0;

    public bool IsBuyAgain(int slot) => (Slot(slot).Flags & ServedLog.BuyAgainFlag) != 0;

    /// <summary>Whether a click, an add to cart and a purchase were attributed to the slot (the user's data export).</summary>
    public (bool Clicked, bool Carted, bool Purchased) OutcomesAt(int slot)
    {
        var flags = Slot(slot).Flags;
        return ((flags & ServedLog.ClickedFlag) != 0, (flags & ServedLog.CartedFlag) != 0, (flags & ServedLog.PurchasedFlag) != 0);
    }

    /// <summary>The served item ids in slot order (a copy).</summary>
    public string[] Items
    {
        get
        {
            var items = new string[Count];
            for (var i = 0; i < items.Length; i++)
            {
                items[i] = ItemAt(i);
            }

            return items;
        }
    }

    /// <summary>
    /// Sets slot <paramref name="slot"/> while the response is being remembered, with its logged decision if it has one
    /// and the merchandising rule that placed or re-scored its item if one did.
    /// </summary>
    public void SetSlot(int slot, string itemId, bool explored, SlotDecision decision = default, string? rule = null, bool buyAgain = false)
    {
        ArgumentNullException.ThrowIfNull(itemId);
        ref var s = ref Slot(slot);
        _log.SetRule(_at, slot, rule);
        s.Item = itemId;
        var flags = (byte)((explored ? ServedLog.ExploredFlag : 0) | (buyAgain ? ServedLog.BuyAgainFlag : 0));
        if (decision.IsLogged)
        {
            flags |= (byte)((decision.Greedy ? ServedLog.GreedyFlag : 0) | (decision.OpenEligible ? ServedLog.OpenEligibleFlag : 0));
            s.Propensity = (float)decision.Propensity;
            s.Packed = 0;
            s.SetOpen(decision.Open);
            H.Logged = true;
        }
        else
        {
            s.Propensity = 0;
            s.Packed = 0;
        }

        s.SetFlags(flags);
    }

    /// <summary>The slot's logged ε-greedy decision as remembered (default when the slot was not one).</summary>
    public SlotDecision DecisionAt(int slot)
    {
        ref var s = ref Slot(slot);
        if (!H.Logged || !(s.Propensity is > 0 and <= 1))
        {
            return default;
        }

        return new SlotDecision(s.Propensity, (s.Flags & ServedLog.GreedyFlag) != 0, (s.Flags & ServedLog.OpenEligibleFlag) != 0, Math.Max(0, s.Open));
    }

    /// <summary>The slot that holds <paramref name="itemId"/>, or -1.</summary>
    public int SlotOf(string itemId)
    {
        var count = Count;
        for (var i = 0; i < count; i++)
        {
            if (string.Equals(Slot(i).Item, itemId, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The key of the response: what its exposure and its non-explored slots count under.</summary>
    public OutcomeKey Key => new(CohortId ?? -1, ModelVersion, Experiment ?? "", Variant ?? "", Strategy);

    /// <summary>
    /// The key of one slot: buy-again slots count under <see cref="ServedStrategy.BuyAgain"/>, explored slots under
    /// <see cref="ServedStrategy.Explored"/>, a ruled slot under its rule.
    /// </summary>
    public OutcomeKey KeyOf(int slot)
    {
        var key = IsBuyAgain(slot) ? Key with { Strategy = ServedStrategy.BuyAgain } : IsExplored(slot) ? Key with { Strategy = ServedStrategy.Explored } : Key;
        return RuleAt(slot) is { } rule ? key with { Rule = rule } : key;
    }

    /// <summary>The rule that placed or re-scored the slot's item, or null.</summary>
    public string? RuleAt(int slot)
    {
        _ = Slot(slot);
        return _log.RuleAt(_at, slot);
    }

    /// <summary>
    /// The exposure: one response and its non-explored impressions under the response's key, the explored slots'
    /// impressions under <see cref="ServedStrategy.Explored"/>.
    /// </summary>
    public void RecordExposure(IOutcomeRecorder outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var explored = 0;
        var buyAgain = 0;
        var count = Count;
        Experiments.SlotDecisionSums exploredDecisions = default, otherDecisions = default;
        var at = DateTimeOffset.FromUnixTimeMilliseconds(ServedAtMs);
        var ruled = 0;
        for (var i = 0; i < count; i++)
        {
            var decision = DecisionAt(i);
            if (RuleAt(i) is not null)
            {
                // A ruled slot's impression (and its logged decision) counts under its rule, so a rule's cost or gain reads
                // against the same cohort's other slots.
                ruled++;
                outcomes.Record(KeyOf(i), new OutcomeCounts { Impressions = 1, Decisions = decision.IsLogged ? Experiments.SlotDecisionSums.Served(decision) : default }, at);
            }
            else if (IsBuyAgain(i))
            {
                // A buy-again slot is never an exploration pick (it logs no decision).
                buyAgain++;
            }
            else if (IsExplored(i))
            {
                explored++;
                if (decision.IsLogged)
                {
                    exploredDecisions = exploredDecisions.Plus(Experiments.SlotDecisionSums.Served(decision));
                }
            }
            else if (decision.IsLogged)
            {
                otherDecisions = otherDecisions.Plus(Experiments.SlotDecisionSums.Served(decision));
            }
        }

        // A logged decision counts under its slot's key, like the slot's impression: a slot decision that placed the
        // greedy arm is not "explored" but is as much part of the evaluation log as one that explored.
        var key = Key;
        outcomes.Record(key, new OutcomeCounts { Exposures = 1, Impressions = count - explored - ruled - buyAgain, Decisions = otherDecisions }, at);
        if (explored > 0)
        {
            outcomes.Record(key with { Strategy = ServedStrategy.Explored }, new OutcomeCounts { Impressions = explored, Decisions = exploredDecisions }, at);
        }

        if (buyAgain > 0)
        {
            outcomes.Record(key with { Strategy = ServedStrategy.BuyAgain }, new OutcomeCounts { Impressions = buyAgain }, at);
        }
    }

    internal byte FlagsAt(int slot) => Slot(slot).Flags;

    internal void AddFlags(int slot, byte flags)
    {
        ref var s = ref Slot(slot);
        s.SetFlags((byte)(s.Flags | flags));
    }

    internal bool AnySlot(byte flag)
    {
        var count = Count;
        for (var i = 0; i < count; i++)
        {
            if ((Slot(i).Flags & flag) != 0)
            {
                return true;
            }
        }

        return false;
    }

    private ref ServedLog.Slot Slot(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Count);
        return ref _log.SlotAt(_at, slot);
    }

    public bool Equals(ServedRecommendation other) => ReferenceEquals(_log, other._log) && _at == other._at;

    public override bool Equals(object? obj) => obj is ServedRecommendation other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_log, _at);

    public static bool operator ==(ServedRecommendation left, ServedRecommendation right) => left.Equals(right);

    public static bool operator !=(ServedRecommendation left, ServedRecommendation right) => !left.Equals(right);
}
