using System.Diagnostics;
using System.Globalization;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Evaluation;

/// <summary>
/// A hyper-parameter and the values to try for it. An axis with <see cref="ExtendOnEdge"/> (values ascending and
/// positive) grows when its best value is its first or last one: the search tries the next value of the same ratio
/// beyond the edge (rounded for <see cref="Integer"/> axes, never below <see cref="Minimum"/> or above
/// <see cref="Maximum"/>), up to <see cref="CoordinateSearch.MaxExtensions"/> times per side, so a chosen value on
/// the edge of a grid means the data asked for it, not that the grid stopped there.
/// </summary>
public sealed record ParameterAxis(string Name, IReadOnlyList<double> Values)
{
    public bool ExtendOnEdge { get; init; }

    public bool Integer { get; init; }

    public double Minimum { get; init; } = double.Epsilon;

    public double Maximum { get; init; } = double.MaxValue;

    /// <summary>The value one step beyond <paramref name="edge"/>, away from <paramref name="inner"/>; null when out of bounds or not new.</summary>
    public double? Beyond(double inner, double edge)
    {
        if (!(inner > 0) || !(edge > 0) || inner == edge)
        {
            return null;
        }

        var next = edge * (edge / inner);
        if (Integer)
        {
            next = Math.Round(next);
        }

        next = Math.Clamp(next, Minimum, Maximum);
        return next == edge || next == inner ? null : next;
    }
}

/// <summary>
/// A model family the search can instantiate: its axes, where the search starts, and a factory from parameter values
/// to an unfitted model. A later model (e.g. per-cohort adaptation) joins the search by providing one of these.
/// </summary>
public sealed record TunableModel(
    string Name,
    IReadOnlyList<ParameterAxis> Axes,
    IReadOnlyDictionary<string, double> Start,
    Func<IReadOnlyDictionary<string, double>, IRecommender> Create);

public sealed record TrialResult(IReadOnlyDictionary<string, double> Parameters, double Objective, double TrainSeconds, EvaluationResult Validation);

public sealed record SearchResult(string ModelName, TrialResult Best, IReadOnlyList<TrialResult> Trials, IRecommender BestModel)
{
    /// <summary>Why the search ended before it converged: null (it converged or ran its passes), or the limit that stopped it.</summary>
    public SearchStop? Stopped { get; init; }
}

/// <summary>The limit that ended a search early.</summary>
public enum SearchStop
{
    /// <summary><see cref="CoordinateSearch.MaxTrials"/> configurations were trained (deterministic).</summary>
    Budget,

    /// <summary><see cref="CoordinateSearch.ShouldStop"/> said stop (a wall-clock cap: depends on the machine).</summary>
    Cap,
}

/// <summary>
/// Coordinate search on the validation part: starting from <see cref="TunableModel.Start"/>, try every value of one
/// axis with the others fixed, keep the best, move to the next axis; repeat passes until a pass changes nothing.
/// Every configuration is trained on the training part only, with the same seed, and scored by validation NDCG@k
/// (or another objective). The test part is never seen here.
/// </summary>
public sealed class CoordinateSearch(TrainingData train, RankingEvaluator validation, int seed, int maxPasses = 2)
{
    private readonly TrainingData _train = train ?? throw new ArgumentNullException(nameof(train));
    private readonly RankingEvaluator _validation = validation ?? throw new ArgumentNullException(nameof(validation));

    /// <summary>How many values an <see cref="ParameterAxis.ExtendOnEdge"/> axis may grow by on each side.</summary>
    public const int MaxExtensions = 3;

    public Func<EvaluationResult, double> Objective { get; init; } = r => r.Overall.Ndcg;

    /// <summary>
    /// At most this many configurations are trained (a repeat of one already tried is free); the search then returns the
    /// best so far with <see cref="SearchResult.Stopped"/> = <see cref="SearchStop.Budget"/>. The start configuration is
    /// always trained, so at least one trial runs.
    /// </summary>
    public int MaxTrials { get; init; } = int.MaxValue;

    /// <summary>Asked before every new configuration after the first; true ends the search (<see cref="SearchStop.Cap"/>).</summary>
    public Func<bool>? ShouldStop { get; init; }

    public SearchResult Run(TunableModel model, Action<TrialResult>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var trials = new List<TrialResult>();
        var seen = new Dictionary<string, TrialResult>(StringComparer.Ordinal);
        var current = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (k, v) in model.Start)
        {
            current[k] = v;
        }

        TrialResult? best = null;
        IRecommender? bestModel = null;
        SearchStop? stopped = null;

        // Null once a limit stops the search: nothing more is trained and every loop below unwinds.
        TrialResult? Try(SortedDictionary<string, double> parameters)
        {
            var key = Format(parameters);
            if (seen.TryGetValue(key, out var known))
            {
                return known;
            }

            if (stopped is null && trials.Count > 0)
            {
                stopped = trials.Count >= MaxTrials ? SearchStop.Budget
                    : ShouldStop?.Invoke() == true ? SearchStop.Cap
                    : null;
            }

            if (stopped is not null)
            {
                return null;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var frozen = new SortedDictionary<string, double>(parameters, StringComparer.Ordinal);
            var recommender = model.Create(frozen);
            var watch = Stopwatch.StartNew();
            recommender.Fit(_train, new Random(seed), cancellationToken);
            var seconds = watch.Elapsed.TotalSeconds;
            var result = _validation.Evaluate(recommender, cancellationToken);
            var trial = new TrialResult(frozen, Objective(result), seconds, result);
            seen[key] = trial;
            trials.Add(trial);
            progress?.Invoke(trial);
            if (best is null || trial.Objective > best.Objective)
            {
                best = trial;
                bestModel = recommender;
            }

            return trial;
        }

        Try(current);
        for (var pass = 0; pass < Math.Max(1, maxPasses) && stopped is null; pass++)
        {
            var changed = false;
            foreach (var axis in model.Axes)
            {
                var bestValue = current.TryGetValue(axis.Name, out var cv) ? cv : double.NaN;
                var bestScore = double.NegativeInfinity;
                var values = new List<double>(axis.Values);
                void TryValue(double value)
                {
                    var candidate = new SortedDictionary<string, double>(current, StringComparer.Ordinal) { [axis.Name] = value };
                    if (Try(candidate) is not { } t)
                    {
                        return;
                    }

                    if (t.Objective > bestScore)
                    {
                        bestScore = t.Objective;
                        bestValue = value;
                    }
                }

                foreach (var value in values)
                {
                    TryValue(value);
                }

                if (axis.ExtendOnEdge && values.Count >= 2)
                {
                    // Grow the grid while the best value sits on its edge (each side at most MaxExtensions times).
                    for (int up = 0, down = 0; ;)
                    {
                        double? next = null;
                        if (bestValue == values[^1] && up < MaxExtensions)
                        {
                            next = axis.Beyond(values[^2], values[^1]);
                            up++;
                            if (next is { } v)
                            {
                                values.Add(v);
                            }
                        }
                        else if (bestValue == values[0] && down < MaxExtensions)
                        {
                            next = axis.Beyond(values[1], values[0]);
                            down++;
                            if (next is { } v)
                            {
                                values.Insert(0, v);
                            }
                        }
                        else
                        {
                            break;
                        }

                        if (next is not { } extended || stopped is not null)
                        {
                            break;
                        }

                        TryValue(extended);
                    }
                }

                if (!current.TryGetValue(axis.Name, out var old) || old != bestValue)
                {
                    changed = true;
                }

                current[axis.Name] = bestValue;
                if (stopped is not null)
                {
                    break;
                }
            }

            if (!changed)
            {
                break;
            }
        }

        return new SearchResult(model.Name, best!, trials, bestModel!) { Stopped = stopped };
    }

    public static string Format(IReadOnlyDictionary<string, double> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var parts = new List<string>(parameters.Count);
        foreach (var (k, v) in parameters)
        {
            parts.Add(k + "=" + v.ToString("G6", CultureInfo.InvariantCulture));
        }

        return string.Join(", ", parts);
    }
}
