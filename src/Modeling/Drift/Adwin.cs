namespace Cohortly.Modeling.Drift;

/// <summary>Settings of <see cref="Adwin"/>.</summary>
/// <param name="Delta">Confidence: the probability of a false cut per check is bounded by about this.</param>
/// <param name="MaxBucketsPerRow">Buckets kept per size class before two are merged (memory/accuracy trade-off).</param>
/// <param name="CheckInterval">Cut points are examined once per this many additions (amortizes the cost).</param>
/// <param name="MinSubWindowLength">Neither side of a cut may be shorter than this.</param>
public sealed record AdwinOptions(
    double Delta = 0.002,
    int MaxBucketsPerRow = 5,
    int CheckInterval = 32,
    int MinSubWindowLength = 5)
{
    internal void Validate()
    {
        if (!(Delta > 0 && Delta < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Delta), Delta, "Delta must be in (0, 1).");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBucketsPerRow, 2, nameof(MaxBucketsPerRow));
        ArgumentOutOfRangeException.ThrowIfLessThan(CheckInterval, 1, nameof(CheckInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinSubWindowLength, 1, nameof(MinSubWindowLength));
    }
}

/// <summary>One size class of the exponential histogram: buckets of 2^row items, oldest first.</summary>
/// <param name="Totals">Sum of the values in each bucket.</param>
/// <param name="Variances">Sum of squared deviations from the bucket mean (M2) for each bucket.</param>
public sealed record AdwinRow(double[] Totals, double[] Variances);

/// <summary>Everything <see cref="Adwin"/> needs to resume; plain data so a grain can persist it as JSON.</summary>
public sealed record AdwinState(
    AdwinOptions Options,
    long Width,
    double Total,
    double Variance,
    long SinceCheck,
    long Detections,
    AdwinRow[] Rows);

/// <summary>
/// ADWIN (adaptive windowing, Bifet &amp; Gavaldà 2007): keeps a window of recent values whose mean
/// is statistically homogeneous. The window is compressed into an exponential histogram (buckets
/// of size 1, 2, 4, ...; at most <see cref="AdwinOptions.MaxBucketsPerRow"/> per size), so memory
/// and per-check cost are O(log width). When any split of the window into an older and a newer
/// part shows means further apart than a Hoeffding/Bernstein-style bound, the oldest buckets are
/// dropped until the window is homogeneous again and a change is reported.
/// </summary>
public sealed class Adwin : IDriftDetector
{
    private readonly AdwinOptions _options;
    private readonly List<Row> _rows = [];
    private long _width;
    private double _total;
    private double _variance;
    private long _sinceCheck;
    private long _detections;

    public Adwin(AdwinOptions? options = null)
    {
        _options = options ?? new AdwinOptions();
        _options.Validate();
    }

    /// <summary>Restores a detector from <see cref="ToState"/>.</summary>
    public Adwin(AdwinState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _options = state.Options;
        _options.Validate();
        _width = state.Width;
        _total = state.Total;
        _variance = state.Variance;
        _sinceCheck = state.SinceCheck;
        _detections = state.Detections;
        foreach (var row in state.Rows)
        {
            if (row.Totals.Length != row.Variances.Length)
            {
                throw new ArgumentException("Each ADWIN row needs as many variances as totals.", nameof(state));
            }

            var r = new Row();
            for (var i = 0; i < row.Totals.Length; i++)
            {
                r.Totals.Add(row.Totals[i]);
                r.Variances.Add(row.Variances[i]);
            }

            _rows.Add(r);
        }
    }

    /// <summary>Number of values in the current window.</summary>
    public long Width => _width;

    /// <summary>Mean of the current window.</summary>
    public double Mean => _width > 0 ? _total / _width : 0;

    /// <summary>The estimate of the current mean (same as <see cref="Mean"/>; the window is the estimator).</summary>
    public double Estimation => Mean;

    /// <summary>Population variance of the current window.</summary>
    public double Variance => _width > 0 ? _variance / _width : 0;

    public long Detections => _detections;

    /// <summary>Number of buckets held (grows with the log of the width).</summary>
    public int BucketCount
    {
        get
        {
            var count = 0;
            foreach (var row in _rows)
            {
                count += row.Totals.Count;
            }

            return count;
        }
    }

    public AdwinOptions Options => _options;

    public bool Add(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "Values must be finite.");
        }

        Insert(value);
        _sinceCheck++;
        if (_sinceCheck < _options.CheckInterval || _width < 2 * _options.MinSubWindowLength)
        {
            return false;
        }

        _sinceCheck = 0;
        var changed = false;
        while (FindCut())
        {
            DropOldestBucket();
            changed = true;
        }

        if (changed)
        {
            _detections++;
        }

        return changed;
    }

    public AdwinState ToState()
    {
        var rows = new AdwinRow[_rows.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = new AdwinRow(_rows[i].Totals.ToArray(), _rows[i].Variances.ToArray());
        }

        return new AdwinState(_options, _width, _total, _variance, _sinceCheck, _detections, rows);
    }

    private void Insert(double value)
    {
        // Welford update of the window's M2 before the total changes.
        if (_width > 0)
        {
            var delta = value - (_total / _width);
            _variance += _width * delta * delta / (_width + 1);
        }

        _width++;
        _total += value;

        if (_rows.Count == 0)
        {
            _rows.Add(new Row());
        }

        _rows[0].Totals.Add(value);
        _rows[0].Variances.Add(0);
        Compress();
    }

    private void Compress()
    {
        for (var i = 0; i < _rows.Count; i++)
        {
            var row = _rows[i];
            if (row.Totals.Count <= _options.MaxBucketsPerRow)
            {
                return;
            }

            // Merge the two oldest buckets of this size into one of twice the size; the merged
            // bucket is newer than everything already in the next row, so it goes to its end.
            var size = Math.Pow(2, i);
            var t1 = row.Totals[0];
            var t2 = row.Totals[1];
            var meanDiff = (t1 - t2) / size;
            var merged = row.Variances[0] + row.Variances[1] + (size * size * meanDiff * meanDiff / (2 * size));
            row.Totals.RemoveRange(0, 2);
            row.Variances.RemoveRange(0, 2);
            if (i + 1 == _rows.Count)
            {
                _rows.Add(new Row());
            }

            _rows[i + 1].Totals.Add(t1 + t2);
            _rows[i + 1].Variances.Add(merged);
        }
    }

    private bool FindCut()
    {
        var minSub = _options.MinSubWindowLength;
        if (_width < 2 * minSub)
        {
            return false;
        }

        var variance = _variance / _width;
        // δ' spreads the confidence over the cut points examined (about log width of them).
        var logTerm = Math.Log(2 * Math.Max(1, Math.Log(_width)) / _options.Delta);

        double n0 = 0;
        double u0 = 0;
        double n1 = _width;
        double u1 = _total;
        // Walk the cut point from the oldest end (largest buckets) towards the newest.
        for (var r = _rows.Count - 1; r >= 0; r--)
        {
            var size = Math.Pow(2, r);
            var row = _rows[r];
            for (var j = 0; j < row.Totals.Count; j++)
            {
                n0 += size;
                n1 -= size;
                u0 += row.Totals[j];
                u1 -= row.Totals[j];
                if (n1 < minSub)
                {
                    return false;
                }

                if (n0 < minSub)
                {
                    continue;
                }

                var m = 1 / ((1 / n0) + (1 / n1));
                var epsilon = Math.Sqrt(2 * variance * logTerm / m) + (2 * logTerm / (3 * m));
                if (Math.Abs((u0 / n0) - (u1 / n1)) > epsilon)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private void DropOldestBucket()
    {
        var r = _rows.Count - 1;
        var row = _rows[r];
        var size = (long)Math.Pow(2, r);
        var bucketTotal = row.Totals[0];
        var bucketVariance = row.Variances[0];
        row.Totals.RemoveAt(0);
        row.Variances.RemoveAt(0);
        if (row.Totals.Count == 0)
        {
            _rows.RemoveAt(r);
        }

        var restWidth = _width - size;
        if (restWidth <= 0)
        {
            _width = 0;
            _total = 0;
            _variance = 0;
            return;
        }

        // Undo the parallel-variance combination: M2 = M2_rest + M2_bucket + n_b n_r/(n) (μ_b − μ_r)².
        var restTotal = _total - bucketTotal;
        var diff = (bucketTotal / size) - (restTotal / restWidth);
        _variance = Math.Max(0, _variance - bucketVariance - (size * (double)restWidth / _width * diff * diff));
        _width = restWidth;
        _total = restTotal;
    }

    private sealed class Row
    {
        public List<double> Totals { get; } = new(8);

        public List<double> Variances { get; } = new(8);
    }
}
