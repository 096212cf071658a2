namespace Cohortly.Modeling.Purchase;

/// <summary>One bin of a calibration table: predictions in [MinPredicted, MaxPredicted], their mean and the observed rate.</summary>
public sealed record CalibrationBin(int Bin, int Count, int Positives, double MinPredicted, double MaxPredicted, double MeanPredicted, double ObservedRate);

/// <summary>Metrics of a probabilistic binary classifier.</summary>
public static class BinaryMetrics
{
    /// <summary>
    /// Area under the ROC curve: the probability that a random positive scores above a random negative, ties counting
    /// one half (Mann–Whitney U with average ranks). NaN when either class is absent.
    /// </summary>
    public static double RocAuc(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels)
    {
        if (scores.Length != labels.Length)
        {
            throw new ArgumentException("one label per score is required");
        }

        var n = scores.Length;
        var order = new int[n];
        var sorted = scores.ToArray();
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        Array.Sort(sorted, order);
        double positives = 0, rankSum = 0;
        var start = 0;
        while (start < n)
        {
            var end = start;
            while (end + 1 < n && sorted[end + 1] == sorted[start])
            {
                end++;
            }

            // Ranks are 1-based; a run of ties shares the average of its ranks.
            var averageRank = ((start + 1) + (end + 1)) / 2.0;
            for (var x = start; x <= end; x++)
            {
                if (labels[order[x]])
                {
                    positives++;
                    rankSum += averageRank;
                }
            }

            start = end + 1;
        }

        var negatives = n - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        return (rankSum - (positives * (positives + 1) / 2)) / (positives * negatives);
    }

    /// <summary>
    /// Calibration by quantile bins of the prediction (deciles by default): rows are sorted by prediction and cut into
    /// <paramref name="bins"/> groups of near-equal size; each reports its mean prediction and observed positive rate.
    /// </summary>
    public static IReadOnlyList<CalibrationBin> CalibrationTable(ReadOnlySpan<double> predictions, ReadOnlySpan<bool> labels, int bins = 10)
    {
        if (predictions.Length != labels.Length)
        {
            throw new ArgumentException("one label per prediction is required");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bins);
        var n = predictions.Length;
        var order = new int[n];
        var sorted = predictions.ToArray();
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        Array.Sort(sorted, order);
        var result = new List<CalibrationBin>(bins);
        for (var b = 0; b < bins; b++)
        {
            var from = (int)((long)b * n / bins);
            var to = (int)((long)(b + 1) * n / bins);
            if (to <= from)
            {
                continue;
            }

            double sum = 0;
            var positives = 0;
            for (var x = from; x < to; x++)
            {
                sum += sorted[x];
                positives += labels[order[x]] ? 1 : 0;
            }

            var count = to - from;
            result.Add(new CalibrationBin(b, count, positives, sorted[from], sorted[to - 1], sum / count, (double)positives / count));
        }

        return result;
    }

    /// <summary>Mean squared error of probabilities against 0/1 outcomes.</summary>
    public static double BrierScore(ReadOnlySpan<double> predictions, ReadOnlySpan<bool> labels)
    {
        if (predictions.Length != labels.Length || predictions.Length == 0)
        {
            throw new ArgumentException("one label per prediction (and at least one) is required");
        }

        var sum = 0.0;
        for (var i = 0; i < predictions.Length; i++)
        {
            var d = predictions[i] - (labels[i] ? 1 : 0);
            sum += d * d;
        }

        return sum / predictions.Length;
    }
}
