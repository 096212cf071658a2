using System.Buffers;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Serving;

/// <summary>
/// The request's history as item indices, read once for every later stage: the fold-in set (the training row plus
/// the positives since), the recent items by position, the excluded items (sorted, distinct) and the categories of
/// recent items the bundle does not know (interests for a cold start). The index buffers are rented; the pipeline
/// owns the value and disposes it once.
/// </summary>
internal readonly struct ServingHistory : IDisposable
{
    private readonly int[] _foldIn;
    private readonly int[] _recent;
    private readonly int[] _excluded;
    private readonly int _foldInCount;
    private readonly int _recentCount;
    private readonly int _excludedCount;

    private ServingHistory(int[] foldIn, int foldInCount, int[] recent, int recentCount, int[] excluded, int excludedCount, bool hasNew, List<string>? interests)
    {
        _foldIn = foldIn;
        _foldInCount = foldInCount;
        _recent = recent;
        _recentCount = recentCount;
        _excluded = excluded;
        _excludedCount = excludedCount;
        HasNew = hasNew;
        Interests = interests;
    }

    /// <summary>The items the user is scored by: the training row, then new positives in the order they happened.</summary>
    public ReadOnlySpan<int> FoldIn => _foldIn.AsSpan(0, _foldInCount);

    /// <summary>The request's recent items as indices, in the request's order (−1 for items the bundle does not know).</summary>
    public ReadOnlySpan<int> Recent => _recent.AsSpan(0, _recentCount);

    /// <summary>Never served: the training row, consumed recent items and the request's exclusions; ascending, distinct.</summary>
    public ReadOnlySpan<int> ExcludedSorted => _excluded.AsSpan(0, _excludedCount);

    /// <summary>True when something since training joined the fold-in set (the trained user vector no longer fits).</summary>
    public bool HasNew { get; }

    /// <summary>Categories of recent items newer than the model, or null when there are none.</summary>
    public List<string>? Interests { get; }

    /// <param name="user">The user's row in the bundle, or −1 for a user training did not see.</param>
    public static ServingHistory Read(ModelBundle bundle, ServingRequest request, int user)
    {
        var row = user >= 0 ? bundle.UserItems.RowColumns(user) : [];
        var recentCount = request.RecentItems.Count;
        var foldInBuffer = ArrayPool<int>.Shared.Rent(row.Length + recentCount);
        var recentBuffer = ArrayPool<int>.Shared.Rent(Math.Max(1, recentCount));
        var excludedBuffer = ArrayPool<int>.Shared.Rent(row.Length + recentCount + request.Excluded.Count);

        // The fold-in set is the training row plus whatever happened since.
        row.CopyTo(foldInBuffer);
        var foldIn = row.Length;
        var excluded = 0;
        row.CopyTo(excludedBuffer);
        excluded += row.Length;
        List<string>? interests = null;
        for (var r = 0; r < recentCount; r++)
        {
            var recent = request.RecentItems[r];
            var item = bundle.ItemIndex(recent.ItemId) ?? -1;
            recentBuffer[r] = item;
            if (item < 0)
            {
                interests = AddInterest(interests, request.CategoriesOf?.Invoke(recent.ItemId));
                continue;
            }

            var semantics = EventTypes.Of(recent.Type);
            if (semantics.ExcludesItem)
            {
                excludedBuffer[excluded++] = item;
            }

            var interest = semantics.Polarity != Polarity.Negative
                && !(semantics.Polarity == Polarity.ByRating && request.PositiveRating is { } threshold && recent.Value < threshold);
            if (interest && row.BinarySearch(item) < 0 && !foldInBuffer.AsSpan(row.Length, foldIn - row.Length).Contains(item))
            {
                foldInBuffer[foldIn++] = item;
            }
        }

        foreach (var id in request.Excluded)
        {
            if (bundle.ItemIndex(id) is { } e)
            {
                excludedBuffer[excluded++] = e;
            }
        }

        var distinct = SortDistinct(excludedBuffer.AsSpan(0, excluded));
        return new ServingHistory(foldInBuffer, foldIn, recentBuffer, recentCount, excludedBuffer, distinct, foldIn > row.Length, interests);
    }

    public void Dispose()
    {
        if (_foldIn is not null)
        {
            ArrayPool<int>.Shared.Return(_foldIn);
            ArrayPool<int>.Shared.Return(_recent);
            ArrayPool<int>.Shared.Return(_excluded);
        }
    }

    internal static bool ContainsIgnoreCase(List<string> values, string value)
    {
        foreach (var v in values)
        {
            if (string.Equals(v, value, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static List<string>? AddInterest(List<string>? interests, IReadOnlyList<string>? categories)
    {
        if (categories is null)
        {
            return interests;
        }

        foreach (var c in categories)
        {
            interests ??= [];
            if (!ContainsIgnoreCase(interests, c))
            {
                interests.Add(c);
            }
        }

        return interests;
    }

    /// <returns>How many distinct values now lead <paramref name="values"/>, ascending.</returns>
    private static int SortDistinct(Span<int> values)
    {
        values.Sort();
        var w = 0;
        for (var r = 0; r < values.Length; r++)
        {
            if (w == 0 || values[r] != values[w - 1])
            {
                values[w++] = values[r];
            }
        }

        return w;
    }
}
