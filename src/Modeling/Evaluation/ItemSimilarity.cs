using Cohortly.Modeling.Data;

namespace Cohortly.Modeling.Evaluation;

/// <summary>Similarity of two items in [0, 1] (used by intra-list diversity).</summary>
public interface IItemSimilarity
{
    float Similarity(int a, int b);
}

/// <summary>Cosine similarity of two items' sets of users (binary co-occurrence).</summary>
public sealed class CooccurrenceSimilarity(SparseMatrix itemUsers) : IItemSimilarity
{
    private readonly SparseMatrix _itemUsers = itemUsers ?? throw new ArgumentNullException(nameof(itemUsers));

    public float Similarity(int a, int b)
    {
        if (a == b)
        {
            return 1f;
        }

        var ua = _itemUsers.RowColumns(a);
        var ub = _itemUsers.RowColumns(b);
        if (ua.IsEmpty || ub.IsEmpty)
        {
            return 0f;
        }

        int x = 0, y = 0, common = 0;
        while (x < ua.Length && y < ub.Length)
        {
            if (ua[x] == ub[y])
            {
                common++;
                x++;
                y++;
            }
            else if (ua[x] < ub[y])
            {
                x++;
            }
            else
            {
                y++;
            }
        }

        return (float)(common / Math.Sqrt((double)ua.Length * ub.Length));
    }
}

/// <summary>Adapts any similarity function (e.g. content cosine, factor cosine).</summary>
public sealed class DelegateSimilarity(Func<int, int, float> similarity) : IItemSimilarity
{
    private readonly Func<int, int, float> _similarity = similarity ?? throw new ArgumentNullException(nameof(similarity));

    public float Similarity(int a, int b) => _similarity(a, b);
}
