using Cohortly.Modeling.Experiments;
using Cohortly.Modeling.Outcomes;

namespace Cohortly.Modeling.Tests.Experiments;

/// <summary>
/// A seeded fixed-split experiment: per cohort and variant a click rate and a conversion rate per exposure; a
/// conversion carries a purchase value uniform in [20, 50); every exposure shows five impressions.
/// </summary>
internal sealed class ExperimentSimulation
{
    private const int ImpressionsPerExposure = 5;
    private readonly ExperimentDefinition _experiment;
    private readonly double[][] _ctr;
    private readonly double[][] _cvr;
    private readonly Random _random;
    private readonly double[] _split;
    private readonly bool _hashUsers;
    private readonly long[,] _exposures;
    private readonly long[,] _clicks;
    private readonly long[,] _conversions;
    private readonly double[,] _revenue;
    private readonly double[,] _revenueSquares;
    private long _nextUser;

    /// <param name="split">Actual traffic shares (may differ from the configured weights to plant an SRM); null = configured.</param>
    /// <param name="hashUsers">Assign through <see cref="ExperimentAssignment"/> with fresh user ids (slower) instead of a coin.</param>
    public ExperimentSimulation(ExperimentDefinition experiment, double[][] ctr, double[][] cvr, Random random, double[]? split = null, bool hashUsers = false)
    {
        _experiment = experiment;
        _ctr = ctr;
        _cvr = cvr;
        _random = random;
        _hashUsers = hashUsers;
        var k = experiment.Variants.Count;
        _split = new double[k];
        var total = 0.0;
        for (var v = 0; v < k; v++)
        {
            total += split?[v] ?? experiment.Variants[v].Weight;
        }

        for (var v = 0; v < k; v++)
        {
            _split[v] = (split?[v] ?? experiment.Variants[v].Weight) / total;
        }

        _exposures = new long[ctr.Length, k];
        _clicks = new long[ctr.Length, k];
        _conversions = new long[ctr.Length, k];
        _revenue = new double[ctr.Length, k];
        _revenueSquares = new double[ctr.Length, k];
    }

    public void Run(int exposuresPerCohort)
    {
        for (var c = 0; c < _ctr.Length; c++)
        {
            for (var i = 0; i < exposuresPerCohort; i++)
            {
                var v = _hashUsers
                    ? _experiment.IndexOf(ExperimentAssignment.Variant(_experiment, "sim-user-" + _nextUser++))
                    : Pick();
                _exposures[c, v]++;
                if (_random.NextDouble() < _ctr[c][v])
                {
                    _clicks[c, v]++;
                }

                if (_random.NextDouble() < _cvr[c][v])
                {
                    _conversions[c, v]++;
                    var value = 20 + (30 * _random.NextDouble());
                    _revenue[c, v] += value;
                    _revenueSquares[c, v] += value * value;
                }
            }
        }
    }

    public List<ExperimentCell> Cells()
    {
        var cells = new List<ExperimentCell>();
        for (var c = 0; c < _ctr.Length; c++)
        {
            for (var v = 0; v < _split.Length; v++)
            {
                var counts = new OutcomeCounts(
                    _exposures[c, v],
                    _exposures[c, v] * ImpressionsPerExposure,
                    _clicks[c, v],
                    0,
                    _conversions[c, v],
                    _revenue[c, v],
                    _clicks[c, v],
                    _conversions[c, v],
                    _revenueSquares[c, v]);
                cells.Add(new ExperimentCell(c, _experiment.Variants[v].Name, counts));
            }
        }

        return cells;
    }

    public static double[][] Uniform(int cohorts, int variants, double rate)
    {
        var rates = new double[cohorts][];
        for (var c = 0; c < cohorts; c++)
        {
            rates[c] = new double[variants];
            Array.Fill(rates[c], rate);
        }

        return rates;
    }

    private int Pick()
    {
        var u = _random.NextDouble();
        var cumulative = 0.0;
        for (var v = 0; v < _split.Length - 1; v++)
        {
            cumulative += _split[v];
            if (u < cumulative)
            {
                return v;
            }
        }

        return _split.Length - 1;
    }
}
