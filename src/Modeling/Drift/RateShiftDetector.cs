namespace Cohortly.Modeling.Drift;

/// <summary>Settings of <see cref="RateShiftDetector"/>.</summary>
/// <param name="Delta">
/// Confidence of the whole window check: the probability that one check of a stationary window reports a shift is at
/// most about this (spread over every cut point examined, Bonferroni).
/// </param>
/// <param name="MinTrialsPerSide">Neither side of a cut may hold fewer trials (impressions, exposures) than this.</param>
/// <param name="MinBucketsPerSide">Neither side of a cut may hold fewer non-empty buckets (minutes) than this, so one odd minute cannot make a side.</param>
/// <param name="MaxBuckets">Buckets kept; the oldest goes when a new one arrives beyond this (the window's longest reach).</param>
/// <param name="Direction">Which shifts are reported; a shift the other way still cuts the window, so it measures the new level.</param>
public sealed record RateShiftOptions(
    double Delta = 0.002,
    long MinTrialsPerSide = 1000,
    int MinBucketsPerSide = 5,
    int MaxBuckets = 180,
    ChangeDirection Direction = ChangeDirection.Both)
{
    public void Validate()
    {
        if (!(Delta > 0 && Delta < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Delta), Delta, "Delta must be in (0, 1).");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MinTrialsPerSide, 1, nameof(MinTrialsPerSide));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinBucketsPerSide, 1, nameof(MinBucketsPerSide));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBuckets, 2 * MinBucketsPerSide, nameof(MaxBuckets));
    }
}

/// <summary>A reported shift: the rates of the older and the newer part of the window at the cut, and the bound crossed.</summary>
/// <param name="RateBefore">Successes per trial in the older part (dropped from the window by the detection).</param>
/// <param name="RateAfter">Successes per trial in the newer part (the window from now on).</param>
/// <param name="Threshold">The bound ε the difference crossed (positive; the difference is RateAfter − RateBefore).</param>
/// <param name="TrialsBefore">Trials in the older part.</param>
/// <param name="TrialsAfter">Trials in the newer part: how much evidence of the new level there was when it was reported.</param>
/// <param name="BucketsAfter">Buckets (minutes) in the newer part.</param>
public sealed record RateShift(
    double RateBefore,
    double RateAfter,
    double Threshold,
    long TrialsBefore,
    long TrialsAfter,
    int BucketsAfter)
{
    public double Difference => RateAfter - RateBefore;
}

/// <summary>
/// ADWIN's test (Bifet &amp; Gavaldà 2007) over a rate that arrives as counts per time bucket (impressions and clicks
/// per minute), cut only at bucket boundaries. Each bucket weighs by its trials, so a busy minute counts for more than a
/// quiet one, and the bound is the Bernstein form ADWIN uses with the Bernoulli variance p(1−p) of the pooled window:
/// a cut between an older part (n₀ trials, rate p₀) and a newer part (n₁, p₁) is a shift when
/// |p₁ − p₀| &gt; √(2 p(1−p) ln(2/δ′) / m) + 2 ln(2/δ′) / (3m), with m = 1/(1/n₀ + 1/n₁) and δ′ = δ / (cut points).
/// On a shift the window is cut at the most likely change point, so it measures the new level.
/// </summary>
/// <remarks>
/// Why not <see cref="Adwin"/> with one value per impression: the outcome pipeline keeps counts per minute, not the
/// order of impressions within a minute, and any made-up order inside a minute (successes first) is a structure ADWIN
/// would find; feeding it one CTR per minute instead would weigh a minute of 10 impressions like one of 10,000. The
/// cost here is one pass over at most <see cref="RateShiftOptions.MaxBuckets"/> buckets per bucket added.
/// </remarks>
public sealed class RateShiftDetector
{
    private readonly RateShiftOptions _options;
    private readonly List<RateBucket> _buckets;
    private long _trials;
    private long _successes;

    public RateShiftDetector(RateShiftOptions? options = null)
    {
        _options = options ?? new RateShiftOptions();
        _options.Validate();
        _buckets = new List<RateBucket>(_options.MaxBuckets + 1);
    }

    public RateShiftOptions Options => _options;

    /// <summary>Non-empty buckets in the window.</summary>
    public int Buckets => _buckets.Count;

    /// <summary>Trials in the window.</summary>
    public long Trials => _trials;

    /// <summary>Successes per trial over the window (0 when empty).</summary>
    public double Rate => _trials == 0 ? 0 : (double)_successes / _trials;

    /// <summary>
    /// What the last <see cref="Add"/> measured, detection or not: the cut with the strongest evidence (largest
    /// |difference| / bound) among the cuts it examined, with the difference and bound there; null when the window was
    /// too short for any cut (each side needs <see cref="RateShiftOptions.MinTrialsPerSide"/> and
    /// <see cref="RateShiftOptions.MinBucketsPerSide"/>) or the bucket was empty. The drift history records it per pass.
    /// </summary>
    public RateShift? Strongest { get; private set; }

    /// <summary>Shifts reported since creation.</summary>
    public long Detections { get; private set; }

    /// <summary>
    /// Adds one bucket's counts (an empty bucket carries no evidence and is skipped) and returns the shift it reveals in
    /// the configured direction, or null.
    /// </summary>
    public RateShift? Add(long trials, long successes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trials);
        if (successes < 0 || successes > trials)
        {
            throw new ArgumentOutOfRangeException(nameof(successes), successes, "Successes must be between 0 and the trials.");
        }

        Strongest = null;
        if (trials == 0)
        {
            return null;
        }

        _buckets.Add(new RateBucket(trials, successes));
        _trials += trials;
        _successes += successes;
        if (_buckets.Count > _options.MaxBuckets)
        {
            var oldest = _buckets[0];
            _buckets.RemoveAt(0);
            _trials -= oldest.Trials;
            _successes -= oldest.Successes;
        }

        if (FindCut() is not { } cut)
        {
            return null;
        }

        var shift = cut.Shift;
        var up = shift.Difference > 0;
        Drop(ChangePoint(up));
        var reported = _options.Direction switch
        {
            ChangeDirection.Increase => up,
            ChangeDirection.Decrease => !up,
            _ => true,
        };
        if (!reported)
        {
            return null;
        }

        Detections++;
        return shift;
    }

    /// <summary>Forgets the window (kept: options and the detection count).</summary>
    public void Reset()
    {
        _buckets.Clear();
        _trials = 0;
        _successes = 0;
    }

    /// <summary>The cut with the strongest evidence (largest |difference| / bound) among those crossing the bound.</summary>
    private (int Index, RateShift Shift)? FindCut()
    {
        var count = _buckets.Count;
        var minBuckets = _options.MinBucketsPerSide;
        if (count < 2 * minBuckets || _trials < 2 * _options.MinTrialsPerSide)
        {
            return null;
        }

        var p = (double)_successes / _trials;
        var variance = p * (1 - p);
        var logTerm = Math.Log(2.0 * (count - 1) / _options.Delta);
        long n0 = 0;
        long k0 = 0;
        (int Index, RateShift Shift)? best = null;
        var bestRatio = -1.0;
        for (var c = 1; c < count; c++)
        {
            n0 += _buckets[c - 1].Trials;
            k0 += _buckets[c - 1].Successes;
            if (c < minBuckets || n0 < _options.MinTrialsPerSide)
            {
                continue;
            }

            var n1 = _trials - n0;
            if (count - c < minBuckets || n1 < _options.MinTrialsPerSide)
            {
                break;
            }

            var m = 1.0 / ((1.0 / n0) + (1.0 / n1));
            var epsilon = Math.Sqrt(2 * variance * logTerm / m) + (2 * logTerm / (3 * m));
            var p0 = (double)k0 / n0;
            var p1 = (double)(_successes - k0) / n1;
            var ratio = Math.Abs(p1 - p0) / epsilon;
            if (ratio > bestRatio)
            {
                bestRatio = ratio;
                best = (c, new RateShift(p0, p1, epsilon, n0, n1, count - c));
            }
        }

        Strongest = best?.Shift;
        return bestRatio > 1 ? best : null;
    }

    /// <summary>
    /// Where the window is cut after a detection: the most likely change point in the detected direction, the cut that
    /// maximizes (p₁ − p₀)² m with no minimum per side. The detecting cut itself may lie a few buckets before the change
    /// (each side needs <see cref="RateShiftOptions.MinBucketsPerSide"/>), and the old buckets it would keep would make the
    /// same change be reported again once the newer part is long enough.
    /// </summary>
    private int ChangePoint(bool up)
    {
        long n0 = 0;
        long k0 = 0;
        var best = 1;
        var bestScore = double.NegativeInfinity;
        for (var c = 1; c < _buckets.Count; c++)
        {
            n0 += _buckets[c - 1].Trials;
            k0 += _buckets[c - 1].Successes;
            var n1 = _trials - n0;
            var difference = ((double)(_successes - k0) / n1) - ((double)k0 / n0);
            if ((difference > 0) != up)
            {
                continue;
            }

            var score = difference * difference / ((1.0 / n0) + (1.0 / n1));
            if (score > bestScore)
            {
                bestScore = score;
                best = c;
            }
        }

        return best;
    }

    private void Drop(int count)
    {
        for (var i = 0; i < count; i++)
        {
            _trials -= _buckets[i].Trials;
            _successes -= _buckets[i].Successes;
        }

        _buckets.RemoveRange(0, count);
    }
}

/// <summary>The counts of one time bucket: trials (impressions, exposures) and successes (clicks, fallback exposures).</summary>
public readonly record struct RateBucket(long Trials, long Successes);
