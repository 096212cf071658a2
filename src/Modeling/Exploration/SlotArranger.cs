using System.Buffers;

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
        // The working arrays never leave this call: on the stack for the few dozen candidates of a served list (they
        // were about 400 bytes per request); only what the result holds is allocated.
        var small = n <= StackLimit;
        Span<int> byScore = small ? stackalloc int[n] : new int[n];
        ScoreOrder(candidates, byScore);
        Span<bool> isSlot = small ? stackalloc bool[k] : new bool[k];
        SlotMask(options, isSlot);
        Span<bool> placed = small ? stackalloc bool[n] : new bool[n];
        Span<int> explored = small ? stackalloc int[k] : new int[k];
        var exploredCount = 0;
        var ranking = new RankedArm[k];
        var decisions = chooser.LogsDecisions ? new SlotDecision[k] : null;
        var cursor = 0;
        for (var p = 0; p < k; p++)
        {
            var pick = -1;
            var asked = isSlot[p] && exploredCount < options.MaxExploredPositions;
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
                explored[exploredCount++] = p;
            }
        }

        return new ExplorationResult(ranking, explored[..exploredCount].ToArray(), decisions);
    }

    private const int StackLimit = 256;

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
        ScoreOrder(candidates, order);
        return order;
    }

    /// <summary>
    /// <see cref="ScoreOrder(IReadOnlyList{ArmCandidate})"/> into <paramref name="order"/> (one entry per candidate),
    /// sorted as keys rather than with a comparison delegate, which allocated a closure and a delegate per call. The
    /// order is total (score, then index), so every sort algorithm gives this same permutation.
    /// </summary>
    public static void ScoreOrder(IReadOnlyList<ArmCandidate> candidates, Span<int> order)
    {
        var n = candidates.Count;
        var buffer = n <= StackLimit ? null : ArrayPool<ScoreKey>.Shared.Rent(n);
        Span<ScoreKey> keys = buffer is null ? stackalloc ScoreKey[n] : buffer.AsSpan(0, n);
        for (var i = 0; i < n; i++)
        {
            keys[i] = new ScoreKey(candidates[i].Score, i);
        }

        keys.Sort();
        for (var i = 0; i < n; i++)
        {
            order[i] = keys[i].Index;
        }

        if (buffer is not null)
        {
            ArrayPool<ScoreKey>.Shared.Return(buffer);
        }
    }

    /// <summary>Score descending, then index ascending (the order <see cref="ScoreOrder(IReadOnlyList{ArmCandidate})"/> promises).</summary>
    private readonly record struct ScoreKey(double Score, int Index) : IComparable<ScoreKey>
    {
        public int CompareTo(ScoreKey other)
        {
            var byScore = other.Score.CompareTo(Score);
            return byScore != 0 ? byScore : Index.CompareTo(other.Index);
        }
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

    /// <summary>Marks the slots among the first <c>mask.Length</c> positions (the mask starts all false).</summary>
    private static void SlotMask(ExplorationOptions options, Span<bool> mask)
    {
        if (options.SlotPositions is null)
        {
            mask.Fill(true);
            return;
        }

        // Indexed, not foreach: enumerating the options' IReadOnlyList boxes its enumerator.
        var positions = options.SlotPositions;
        for (var i = 0; i < positions.Count; i++)
        {
            if (positions[i] < mask.Length)
            {
                mask[positions[i]] = true;
            }
        }
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
