namespace Cohortly.Modeling.Exploration;

/// <summary>Picks the arm for an exploration slot, or declines (−1) so the score order fills it.</summary>
internal interface ISlotChooser
{
    /// <summary>True when <see cref="Describe"/> reports propensities (ε-greedy): the arranger then keeps a decision per position.</summary>
    bool LogsDecisions { get; }

    int Choose(ReadOnlySpan<bool> placed);

    /// <summary>The decision that placed <paramref name="pick"/> at a slot, <paramref name="greedy"/> being the greedy pick; called before the pick is marked placed.</summary>
    SlotDecision Describe(int pick, int greedy, ReadOnlySpan<bool> placed);
}

/// <summary>
/// The list-building loop every policy shares: walk the positions; at a slot ask the policy's
/// chooser, otherwise (or when it declines) take the best-scored arm not yet placed.
/// </summary>
internal static class SlotArranger
{
    public static ExplorationResult Arrange<TChooser>(
        IReadOnlyList<ArmCandidate> candidates,
        int count,
        ExplorationOptions options,
        ref TChooser chooser)
        where TChooser : struct, ISlotChooser
    {
        var n = candidates.Count;
        var k = Math.Min(count, n);
        var byScore = ScoreOrder(candidates);
        var isSlot = SlotMask(options, k);
        var placed = new bool[n];
        var ranking = new RankedArm[k];
        var explored = new List<int>();
        var decisions = chooser.LogsDecisions ? new SlotDecision[k] : null;
        var cursor = 0;
        for (var p = 0; p < k; p++)
        {
            var pick = -1;
            var asked = isSlot[p] && explored.Count < options.MaxExploredPositions;
            if (asked)
            {
                pick = chooser.Choose(placed);
            }

            // The greedy pick: the best-scored arm not yet placed (placed arms never return, so the cursor only advances).
            while (placed[byScore[cursor]])
            {
                cursor++;
            }

            var isExplored = pick >= 0;
            if (!isExplored)
            {
                pick = byScore[cursor];
            }

            if (asked && decisions is not null)
            {
                decisions[p] = chooser.Describe(pick, byScore[cursor], placed);
            }

            placed[pick] = true;
            var arm = candidates[pick];
            ranking[p] = new RankedArm(arm.ArmId, pick, arm.Score, isExplored);
            if (isExplored)
            {
                explored.Add(p);
            }
        }

        return new ExplorationResult(ranking, explored.ToArray(), decisions);
    }

    public static void Validate(IReadOnlyList<ArmCandidate> candidates, int count, Random random)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        for (var i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            if (double.IsNaN(c.Score))
            {
                throw new ArgumentException($"Candidate {i} ({c.ArmId}) has a NaN score.", nameof(candidates));
            }

            if (c.Impressions < 0 || c.Rewards < 0 || double.IsNaN(c.Rewards))
            {
                throw new ArgumentException($"Candidate {i} ({c.ArmId}) has negative evidence.", nameof(candidates));
            }
        }
    }

    /// <summary>Indices by score descending; ties keep candidate order.</summary>
    public static int[] ScoreOrder(IReadOnlyList<ArmCandidate> candidates)
    {
        var order = new int[candidates.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) =>
        {
            var byScore = candidates[b].Score.CompareTo(candidates[a].Score);
            return byScore != 0 ? byScore : a.CompareTo(b);
        });
        return order;
    }

    /// <summary>Eligible indices by value descending, then score descending, then candidate order.</summary>
    public static int[] ValueOrder(IReadOnlyList<ArmCandidate> candidates, double[] values, ReadOnlySpan<bool> eligible)
    {
        var count = 0;
        foreach (var e in eligible)
        {
            count += e ? 1 : 0;
        }

        var order = new int[count];
        var j = 0;
        for (var i = 0; i < eligible.Length; i++)
        {
            if (eligible[i])
            {
                order[j++] = i;
            }
        }

        Array.Sort(order, (a, b) =>
        {
            var byValue = values[b].CompareTo(values[a]);
            if (byValue != 0)
            {
                return byValue;
            }

            var byScore = candidates[b].Score.CompareTo(candidates[a].Score);
            return byScore != 0 ? byScore : a.CompareTo(b);
        });
        return order;
    }

    public static bool[] Eligibility(IReadOnlyList<ArmCandidate> candidates, ExplorationOptions options, DateTimeOffset now)
    {
        var eligible = new bool[candidates.Count];
        for (var i = 0; i < eligible.Length; i++)
        {
            eligible[i] = options.IsEligible(candidates[i], now);
        }

        return eligible;
    }

    private static bool[] SlotMask(ExplorationOptions options, int k)
    {
        var mask = new bool[k];
        if (options.SlotPositions is null)
        {
            Array.Fill(mask, true);
            return mask;
        }

        foreach (var p in options.SlotPositions)
        {
            if (p < k)
            {
                mask[p] = true;
            }
        }

        return mask;
    }
}

/// <summary>Fills slots in a precomputed order (UCB indices, Thompson draws), skipping placed arms.</summary>
internal struct OrderedChooser(int[] order) : ISlotChooser
{
    private int _cursor;

    public readonly bool LogsDecisions => false;

    public readonly SlotDecision Describe(int pick, int greedy, ReadOnlySpan<bool> placed) => default;

    public int Choose(ReadOnlySpan<bool> placed)
    {
        while (_cursor < order.Length && placed[order[_cursor]])
        {
            _cursor++;
        }

        return _cursor < order.Length ? order[_cursor] : -1;
    }
}
