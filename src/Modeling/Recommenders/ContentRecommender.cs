using System.Buffers;
using System.Numerics.Tensors;
using Cohortly.Modeling.Data;

namespace Cohortly.Modeling.Recommenders;

public sealed record ContentOptions
{
    public float TitleWeight { get; init; } = 1f;

    public float CategoryWeight { get; init; } = 1f;

    public float TagWeight { get; init; } = 1f;

    /// <summary>Terms used by fewer items are dropped (they cannot connect two items anyway when 1 is exceeded).</summary>
    public int MinDocumentFrequency { get; init; } = 1;
}

/// <summary>
/// Content-based scoring over item metadata: each item is an L2-normalised TF-IDF vector of title words, categories
/// and tag words (each field with its own weight and namespace). Item-to-item similarity is the cosine; a user (or a
/// list of recent items) is the normalised sum of its items' vectors. Works for items nobody has interacted with yet.
/// </summary>
public sealed class ContentRecommender(ContentOptions options) : IRecommender
{
    public const string KindName = "content";
    private const int FormatVersion = 1;

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "the", "a", "an", "of", "and", "or", "in", "on", "to", "for", "with", "at", "by", "from", "is", "it", "as",
    };

    private SparseMatrix _itemTerms = new(0, 0, [0], [], []);
    private SparseMatrix _termItems = new(0, 0, [0], [], []);
    private SparseMatrix _history = new(0, 0, [0], [], []);
    private string[] _vocabulary = [];

    public ContentRecommender()
        : this(new ContentOptions())
    {
    }

    public ContentOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    public string Kind => KindName;

    public int ItemCount => _itemTerms.Rows;

    public int UserCount => _history.Rows;

    public IReadOnlyList<string> Vocabulary => _vocabulary;

    /// <summary>Term indices of the item's normalised TF-IDF vector, ascending.</summary>
    public ReadOnlySpan<int> ItemTerms(int item) => _itemTerms.RowColumns(item);

    /// <summary>Weights of <see cref="ItemTerms"/>, position by position.</summary>
    public ReadOnlySpan<float> ItemTermWeights(int item) => _itemTerms.RowValues(item);

    /// <summary>Cosine similarity of two items' content.</summary>
    public float Similarity(int a, int b)
    {
        var ta = ItemTerms(a);
        var wa = ItemTermWeights(a);
        var tb = ItemTerms(b);
        var wb = ItemTermWeights(b);
        float s = 0;
        int x = 0, y = 0;
        while (x < ta.Length && y < tb.Length)
        {
            if (ta[x] == tb[y])
            {
                s += wa[x++] * wb[y++];
            }
            else if (ta[x] < tb[y])
            {
                x++;
            }
            else
            {
                y++;
            }
        }

        return s;
    }

    public void Fit(TrainingData data, Random random, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var catalog = data.Catalog;
        var n = catalog.ItemCount;
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new List<string>();
        var docTerms = new List<(int Term, float Weight)>[n];
        var tokens = new List<string>();
        for (var i = 0; i < n; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var counts = new Dictionary<int, float>();
            if (catalog.ItemMetadata(i) is { } meta)
            {
                tokens.Clear();
                Tokenize(meta.Title, "t:", tokens);
                AddTokens(tokens, Options.TitleWeight, counts, vocabulary, names);
                tokens.Clear();
                foreach (var c in meta.Categories)
                {
                    tokens.Add("c:" + c.Trim().ToLowerInvariant());
                }

                AddTokens(tokens, Options.CategoryWeight, counts, vocabulary, names);
                tokens.Clear();
                foreach (var tag in meta.Tags)
                {
                    Tokenize(tag, "g:", tokens);
                }

                AddTokens(tokens, Options.TagWeight, counts, vocabulary, names);
            }

            var list = new List<(int, float)>(counts.Count);
            foreach (var (t, w) in counts)
            {
                list.Add((t, w));
            }

            docTerms[i] = list;
        }

        var df = new int[names.Count];
        foreach (var list in docTerms)
        {
            foreach (var (t, _) in list)
            {
                df[t]++;
            }
        }

        var rows = new List<int>();
        var cols = new List<int>();
        var vals = new List<float>();
        var start = 0;
        for (var i = 0; i < n; i++)
        {
            foreach (var (t, tf) in docTerms[i])
            {
                if (df[t] < Options.MinDocumentFrequency)
                {
                    continue;
                }

                var idf = (float)(Math.Log((1.0 + n) / (1.0 + df[t])) + 1.0);
                rows.Add(i);
                cols.Add(t);
                vals.Add(tf * idf);
            }

            var norm = TensorPrimitives.Norm(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(vals)[start..]);
            for (var k = start; k < vals.Count; k++)
            {
                vals[k] /= norm;
            }

            start = vals.Count;
        }

        _itemTerms = SparseMatrix.FromCoordinates(n, names.Count, [.. rows], [.. cols], [.. vals]);
        _termItems = _itemTerms.Transpose();
        _vocabulary = [.. names];
        _history = data.UserItems;
    }

    public void Score(int user, Span<float> scores)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)user, (uint)UserCount, nameof(user));
        ScoreItems(_history.RowColumns(user), scores);
    }

    public void ScoreItems(ReadOnlySpan<int> recentItems, Span<float> scores)
    {
        var n = ItemCount;
        scores[..n].Clear();
        var buffer = ArrayPool<float>.Shared.Rent(_vocabulary.Length);
        try
        {
            var profile = buffer.AsSpan(0, _vocabulary.Length);
            profile.Clear();
            foreach (var i in recentItems)
            {
                if ((uint)i >= (uint)n)
                {
                    continue;
                }

                var terms = _itemTerms.RowColumns(i);
                var weights = _itemTerms.RowValues(i);
                for (var k = 0; k < terms.Length; k++)
                {
                    profile[terms[k]] += weights[k];
                }
            }

            var norm = TensorPrimitives.Norm(profile);
            if (norm == 0)
            {
                return;
            }

            for (var t = 0; t < profile.Length; t++)
            {
                var p = profile[t];
                if (p == 0)
                {
                    continue;
                }

                p /= norm;
                var items = _termItems.RowColumns(t);
                var w = _termItems.RowValues(t);
                for (var k = 0; k < items.Length; k++)
                {
                    scores[items[k]] += p * w[k];
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>Cosine similarity of every item to one item (item-to-item, e.g. "more like this" for a new item).</summary>
    public void SimilarItems(int item, Span<float> scores) => ScoreItems([item], scores);

    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatVersion);
        writer.Write(Options.TitleWeight);
        writer.Write(Options.CategoryWeight);
        writer.Write(Options.TagWeight);
        writer.Write(Options.MinDocumentFrequency);
        BinaryArrays.WriteStrings(writer, _vocabulary);
        _itemTerms.Write(writer);
        _history.Write(writer);
    }

    public static ContentRecommender Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        RecommenderSerializer.ExpectVersion(reader, FormatVersion, KindName);
        var options = new ContentOptions
        {
            TitleWeight = reader.ReadSingle(),
            CategoryWeight = reader.ReadSingle(),
            TagWeight = reader.ReadSingle(),
            MinDocumentFrequency = reader.ReadInt32(),
        };
        var vocabulary = BinaryArrays.ReadStrings(reader);
        var itemTerms = SparseMatrix.Read(reader);
        return new ContentRecommender(options)
        {
            _vocabulary = vocabulary,
            _itemTerms = itemTerms,
            _termItems = itemTerms.Transpose(),
            _history = SparseMatrix.Read(reader),
        };
    }

    /// <summary>Lower-cased runs of letters and digits, two characters or more, stop words removed, with a prefix.</summary>
    internal static void Tokenize(string text, string prefix, List<string> tokens)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                if (i - start >= 2)
                {
                    var word = text[start..i].ToLowerInvariant();
                    if (!StopWords.Contains(word))
                    {
                        tokens.Add(prefix + word);
                    }
                }

                start = -1;
            }
        }
    }

    private static void AddTokens(List<string> tokens, float weight, Dictionary<int, float> counts, Dictionary<string, int> vocabulary, List<string> names)
    {
        if (weight <= 0)
        {
            return;
        }

        foreach (var token in tokens)
        {
            if (!vocabulary.TryGetValue(token, out var t))
            {
                t = names.Count;
                vocabulary[token] = t;
                names.Add(token);
            }

            counts[t] = counts.GetValueOrDefault(t) + weight;
        }
    }
}
