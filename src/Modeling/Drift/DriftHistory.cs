using System.Globalization;

namespace Cohortly.Modeling.Drift;

/// <summary>
/// One statistic a detector computed in one pass, detection or not: which detector, about which cohort (null: all
/// users) and which feature (feature PSI only), its value and the threshold it is held against (for the rate
/// detectors the signed difference newer − older at the strongest cut and the bound there, signed like it).
/// </summary>
public sealed record DriftStatistic(DriftDetectorKind Detector, int? CohortId, string? Feature, double Value, double Threshold)
{
    /// <summary>The series this point belongs to: detector source, cohort ("all") and feature.</summary>
    public string SeriesKey => Key(Detector, CohortId, Feature);

    public static string Key(DriftDetectorKind detector, int? cohortId, string? feature) => string.Create(
        CultureInfo.InvariantCulture,
        $"{DriftDetection.SourceOf(detector)}/{cohortId?.ToString(CultureInfo.InvariantCulture) ?? "all"}/{feature}");

    /// <summary>The rate detectors' statistic from what their last observation measured (null: nothing measured).</summary>
    public static DriftStatistic? Of(DriftDetectorKind detector, int? cohortId, RateShift? strongest) => strongest is null
        ? null
        : new DriftStatistic(detector, cohortId, null, strongest.Difference, strongest.Difference < 0 ? -strongest.Threshold : strongest.Threshold);
}

/// <summary>One point of a statistic's history.</summary>
public readonly record struct DriftPoint(DateTimeOffset At, double Value, double Threshold);

/// <summary>One series of a <see cref="DriftHistory"/>, oldest point first.</summary>
public sealed record DriftSeries(DriftDetectorKind Detector, int? CohortId, string? Feature, IReadOnlyList<DriftPoint> Points);

/// <summary>
/// The bounded per-pass history of every detector's statistic (per detector × cohort / feature): each series keeps
/// the points of the last <see cref="Retention"/> and at most <see cref="Capacity"/> of them (a ring), so a day of
/// 1-minute passes over a few dozen series is a few hundred kilobytes whatever happens. Not thread-safe: the drift
/// monitor grain owns one.
/// </summary>
public sealed class DriftHistory
{
    private readonly Dictionary<string, Ring> _series = new(StringComparer.Ordinal);

    public DriftHistory(TimeSpan retention, int capacity, int maxSeries = 512)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(retention, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSeries, 1);
        Retention = retention;
        Capacity = capacity;
        MaxSeries = maxSeries;
    }

    public TimeSpan Retention { get; }

    public int Capacity { get; }

    /// <summary>Series kept at most; a new series beyond it replaces the one whose newest point is oldest.</summary>
    public int MaxSeries { get; }

    public int SeriesCount => _series.Count;

    /// <summary>Adds one point; points older than the retention before <paramref name="at"/> leave its series.</summary>
    public void Record(DateTimeOffset at, DriftStatistic statistic)
    {
        ArgumentNullException.ThrowIfNull(statistic);
        if (!double.IsFinite(statistic.Value) || !double.IsFinite(statistic.Threshold))
        {
            return;
        }

        var key = statistic.SeriesKey;
        if (!_series.TryGetValue(key, out var ring))
        {
            if (_series.Count >= MaxSeries)
            {
                EvictStalest();
            }

            ring = new Ring(statistic.Detector, statistic.CohortId, statistic.Feature, Capacity);
            _series[key] = ring;
        }

        ring.Add(new DriftPoint(at, statistic.Value, statistic.Threshold));
        ring.TrimBefore(at - Retention);
    }

    /// <summary>
    /// The series matching every given filter (null: any), with their points at or after <paramref name="since"/> and
    /// within the retention before <paramref name="now"/>, ordered by detector, cohort and feature.
    /// </summary>
    public IReadOnlyList<DriftSeries> Query(DateTimeOffset now, DriftDetectorKind? detector = null, int? cohortId = null, string? feature = null, DateTimeOffset? since = null)
    {
        var from = now - Retention;
        if (since is { } s && s > from)
        {
            from = s;
        }

        var result = new List<DriftSeries>();
        foreach (var ring in _series.Values)
        {
            if ((detector is { } d && ring.Detector != d)
                || (cohortId is { } c && ring.CohortId != c)
                || (feature is not null && !string.Equals(ring.Feature, feature, StringComparison.Ordinal)))
            {
                continue;
            }

            var points = ring.Since(from);
            if (points.Count > 0)
            {
                result.Add(new DriftSeries(ring.Detector, ring.CohortId, ring.Feature, points));
            }
        }

        result.Sort(static (a, b) =>
        {
            var byDetector = a.Detector.CompareTo(b.Detector);
            if (byDetector != 0)
            {
                return byDetector;
            }

            var byCohort = (a.CohortId ?? -1).CompareTo(b.CohortId ?? -1);
            return byCohort != 0 ? byCohort : string.CompareOrdinal(a.Feature, b.Feature);
        });
        return result;
    }

    private void EvictStalest()
    {
        string? stalest = null;
        var oldest = DateTimeOffset.MaxValue;
        foreach (var (key, ring) in _series)
        {
            var newest = ring.Newest ?? DateTimeOffset.MinValue;
            if (newest < oldest)
            {
                oldest = newest;
                stalest = key;
            }
        }

        if (stalest is not null)
        {
            _series.Remove(stalest);
        }
    }

    /// <summary>A fixed-size ring of points, oldest first.</summary>
    private sealed class Ring(DriftDetectorKind detector, int? cohortId, string? feature, int capacity)
    {
        private readonly DriftPoint[] _points = new DriftPoint[capacity];
        private int _start;
        private int _count;

        public DriftDetectorKind Detector { get; } = detector;

        public int? CohortId { get; } = cohortId;

        public string? Feature { get; } = feature;

        public DateTimeOffset? Newest => _count == 0 ? null : _points[(_start + _count - 1) % _points.Length].At;

        public void Add(DriftPoint point)
        {
            if (_count == _points.Length)
            {
                _points[_start] = point;
                _start = (_start + 1) % _points.Length;
                return;
            }

            _points[(_start + _count) % _points.Length] = point;
            _count++;
        }

        public void TrimBefore(DateTimeOffset from)
        {
            while (_count > 0 && _points[_start].At < from)
            {
                _start = (_start + 1) % _points.Length;
                _count--;
            }
        }

        public List<DriftPoint> Since(DateTimeOffset from)
        {
            var result = new List<DriftPoint>(_count);
            for (var i = 0; i < _count; i++)
            {
                var p = _points[(_start + i) % _points.Length];
                if (p.At >= from)
                {
                    result.Add(p);
                }
            }

            return result;
        }
    }
}
