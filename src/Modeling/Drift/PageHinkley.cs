namespace Cohortly.Modeling.Drift;

/// <summary>Which mean shifts <see cref="PageHinkley"/> reports.</summary>
public enum ChangeDirection
{
    Both = 0,
    Increase = 1,
    Decrease = 2,
}

/// <summary>Settings of <see cref="PageHinkley"/>.</summary>
/// <param name="Delta">Magnitude of change tolerated without alarm (δ), in units of the signal.</param>
/// <param name="Lambda">Alarm threshold (λ) on the cumulative deviation; higher = fewer false alarms, longer delay.</param>
/// <param name="Alpha">Forgetting factor (α ≤ 1) applied to the cumulative sums; 1 is the classic test.</param>
/// <param name="MinInstances">No alarm before this many values since the last reset.</param>
/// <param name="Direction">Which direction of change to report.</param>
public sealed record PageHinkleyOptions(
    double Delta = 0.005,
    double Lambda = 50,
    double Alpha = 0.9999,
    int MinInstances = 30,
    ChangeDirection Direction = ChangeDirection.Both)
{
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Delta, nameof(Delta));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Lambda, nameof(Lambda));
        if (!(Alpha > 0 && Alpha <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "Alpha must be in (0, 1].");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(MinInstances, nameof(MinInstances));
    }
}

/// <summary>Everything <see cref="PageHinkley"/> needs to resume; plain data for grain persistence.</summary>
public sealed record PageHinkleyState(
    PageHinkleyOptions Options,
    long Count,
    double Mean,
    double SumUp,
    double MinUp,
    double SumDown,
    double MaxDown,
    long Detections);

/// <summary>
/// Page–Hinkley sequential test for a shift in the mean. It accumulates deviations of each value
/// from the running mean, minus a tolerance δ; a change is reported when the accumulated deviation
/// rises more than λ above its running minimum (increase) or falls more than λ below its running
/// maximum (decrease). The detector resets after an alarm so it measures the new regime.
/// </summary>
public sealed class PageHinkley : IDriftDetector
{
    private readonly PageHinkleyOptions _options;
    private long _count;
    private double _mean;
    private double _sumUp;
    private double _minUp;
    private double _sumDown;
    private double _maxDown;
    private long _detections;

    public PageHinkley(PageHinkleyOptions? options = null)
    {
        _options = options ?? new PageHinkleyOptions();
        _options.Validate();
    }

    public PageHinkley(PageHinkleyState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _options = state.Options;
        _options.Validate();
        _count = state.Count;
        _mean = state.Mean;
        _sumUp = state.SumUp;
        _minUp = state.MinUp;
        _sumDown = state.SumDown;
        _maxDown = state.MaxDown;
        _detections = state.Detections;
    }

    /// <summary>Values seen since the last reset.</summary>
    public long Width => _count;

    /// <summary>Running mean since the last reset.</summary>
    public double Mean => _mean;

    public double Estimation => _mean;

    public long Detections => _detections;

    /// <summary>Current test statistic for an increase (accumulated deviation above its minimum).</summary>
    public double IncreaseStatistic => _sumUp - _minUp;

    /// <summary>Current test statistic for a decrease (accumulated deviation below its maximum).</summary>
    public double DecreaseStatistic => _maxDown - _sumDown;

    public PageHinkleyOptions Options => _options;

    public bool Add(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "Values must be finite.");
        }

        _count++;
        _mean += (value - _mean) / _count;
        var deviation = value - _mean;

        _sumUp = (_options.Alpha * _sumUp) + deviation - _options.Delta;
        _minUp = Math.Min(_minUp, _sumUp);
        _sumDown = (_options.Alpha * _sumDown) + deviation + _options.Delta;
        _maxDown = Math.Max(_maxDown, _sumDown);

        if (_count < _options.MinInstances)
        {
            return false;
        }

        var up = _options.Direction != ChangeDirection.Decrease && IncreaseStatistic > _options.Lambda;
        var down = _options.Direction != ChangeDirection.Increase && DecreaseStatistic > _options.Lambda;
        if (!up && !down)
        {
            return false;
        }

        _detections++;
        Reset();
        return true;
    }

    /// <summary>Forgets the current regime (kept: options and the detection count).</summary>
    public void Reset()
    {
        _count = 0;
        _mean = 0;
        _sumUp = 0;
        _minUp = 0;
        _sumDown = 0;
        _maxDown = 0;
    }

    public PageHinkleyState ToState() =>
        new(_options, _count, _mean, _sumUp, _minUp, _sumDown, _maxDown, _detections);
}
