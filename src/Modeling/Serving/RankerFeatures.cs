using System.Buffers;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Serving;

/// <summary>
/// How the learned ranker describes one (user, candidate) pair, built from what the scoring stage already computed
/// (no second scoring of the catalog): the blend's score and rank, each weighted-in signal's standardized score and the cohort's
/// popularity of the item, the item's overall popularity, its context lift for the request's device and hour, the
/// share of the user's items in the item's category, the live profile's features, and the user's purchase
/// probability. Training builds its examples through the same code (<see cref="RankerStage.Candidates"/>), so the
/// ranker sees at serving exactly the features it learned from.
/// </summary>
internal sealed class RankerFeatures
{
    private readonly ModelBundle _bundle;
    private readonly ServingIndex _index;
    private readonly float[]? _parts;
    private readonly float[] _weights;
    private readonly float[] _profile;
    private readonly float _purchase;
    private readonly int[] _categoryCounts;
    private readonly int _categorized;
    private readonly int _hour;
    private readonly string? _device;
    private readonly float[] _cohortPopularity;

    private RankerFeatures(ModelBundle bundle, ServingIndex index, ServingRequest request, int group, float[]? parts, float[] weights, ReadOnlySpan<int> foldIn)
    {
        _bundle = bundle;
        _index = index;
        _parts = parts;
        _weights = weights;
        _profile = request.ProfileFeatures is { Length: var l } p && l == ProfileFeatures.Count ? p : new float[ProfileFeatures.Count];
        _purchase = request.ProfileFeatures is not null && bundle.Purchase?.Predict(_profile) is { } probability ? (float)probability : 0f;
        _hour = request.Now.UtcDateTime.Hour;
        _device = request.Device;
        _cohortPopularity = (uint)group < (uint)index.CohortPopularity.Length ? index.CohortPopularity[group] : [];
        _categoryCounts = new int[index.CategoryNames.Length + 1];
        foreach (var item in foldIn)
        {
            if ((uint)item < (uint)index.ItemCount && index.ItemCategory[item] is var c && c >= 0)
            {
                _categoryCounts[c]++;
                _categorized++;
            }
        }
    }

    /// <summary>Feature names for a bundle (their order is the rows' column order).</summary>
    public static string[] Names(ServingIndex index)
    {
        var names = new List<string>(index.SignalCount + ProfileFeatures.Count + 8) { "blend_score", "blend_rank" };
        for (var s = 0; s <= index.SignalCount; s++)
        {
            names.Add("signal_" + index.Names[s]);
        }

        names.AddRange(["item_popularity", "context_lift", "category_share"]);
        foreach (var f in ProfileFeatures.Names)
        {
            names.Add("profile_" + f);
        }

        names.Add("purchase_probability");
        return [.. names];
    }

    public static int Count(ServingIndex index) => index.SignalCount + ProfileFeatures.Count + 7;

    public static RankerFeatures For(ModelBundle bundle, ServingIndex index, ServingRequest request, int group, in ServingScores scores, in ServingHistory history) =>
        new(bundle, index, request, group, scores.Parts, scores.Weights, history.FoldIn);

    /// <summary>One candidate's row into <paramref name="row"/> (<see cref="Count"/> values).</summary>
    public void Fill(ServingCandidate candidate, Span<float> row)
    {
        var i = candidate.Item;
        var n = _index.ItemCount;
        var k = 0;
        row[k++] = (float)candidate.Relevance;
        row[k++] = candidate.Order;
        for (var s = 0; s < _index.SignalCount; s++)
        {
            // The scoring stage skips a signal its cohort weighs 0, so its part of the rented buffer holds nothing.
            row[k++] = _parts is null || _weights[s] == 0 ? 0 : _parts[(s * n) + i];
        }

        row[k++] = _cohortPopularity.Length == 0 ? 0 : _cohortPopularity[i];
        row[k++] = _index.PopularityStandardized[i];
        row[k++] = _bundle.Context.Lift(i, _device, _hour);
        var category = _index.ItemCategory[i];
        row[k++] = category < 0 || _categorized == 0 ? 0 : (float)_categoryCounts[category] / _categorized;
        _profile.CopyTo(row[k..]);
        k += _profile.Length;
        row[k] = _purchase;
    }

    /// <summary>Rows of every candidate in a rented buffer (<paramref name="pool"/>.Count × <see cref="Count"/>); return it to the shared pool.</summary>
    public float[] FillAll(List<ServingCandidate> pool, int width)
    {
        var rows = ArrayPool<float>.Shared.Rent(Math.Max(1, pool.Count * width));
        for (var c = 0; c < pool.Count; c++)
        {
            Fill(pool[c], rows.AsSpan(c * width, width));
        }

        return rows;
    }
}
