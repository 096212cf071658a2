using System.Buffers;
using System.Numerics.Tensors;

namespace Cohortly.Modeling.Recommenders;

/// <summary>One model inside a blend, with its weight.</summary>
public sealed record BlendComponent(IRecommender Model, float Weight);

/// <summary>
/// Weighted sum of several models' scores, each standardised per request (zero mean, unit variance over the items) so
/// models on different scales can be mixed. Components may be fitted by the blend or arrive already fitted on the
/// same training data (<paramref name="fitComponents"/> false), which lets a search try many weightings cheaply.
/// </summary>
public sealed class BlendRecommender(IReadOnlyList<BlendComponent> components, bool fitComponents = true) : IRecommender
{
    public const string KindName = "blend";
    private const int FormatVersion = 1;

    public IReadOnlyList<BlendComponent> Components { get; } = Validate(components);

    public string Kind => KindName;

    public int ItemCount => Components[0].Model.ItemCount;

    public int UserCount => Components[0].Model.UserCount;

    public void Fit(TrainingData data, Random random, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (!fitComponents)
        {
            return;
        }

        foreach (var c in Components)
        {
            // Each component gets its own seeded stream so adding one does not change another's initialisation.
            var seed = random.Next();
            if (c.Weight != 0)
            {
                c.Model.Fit(data, new Random(seed), cancellationToken);
            }
        }
    }

    public void Score(int user, Span<float> scores) => Combine(scores, (m, s) => m.Score(user, s));

    public void ScoreItems(ReadOnlySpan<int> recentItems, Span<float> scores)
    {
        var n = ItemCount;
        var buffer = ArrayPool<float>.Shared.Rent(n);
        try
        {
            var total = scores[..n];
            var part = buffer.AsSpan(0, n);
            total.Clear();
            foreach (var c in Components)
            {
                if (c.Weight != 0)
                {
                    c.Model.ScoreItems(recentItems, part);
                    AddStandardised(part, c.Weight, total);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatVersion);
        writer.Write(Components.Count);
        foreach (var c in Components)
        {
            writer.Write(c.Weight);
            RecommenderSerializer.Default.WriteModel(writer, c.Model);
        }
    }

    public static BlendRecommender Read(BinaryReader reader, RecommenderSerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(serializer);
        RecommenderSerializer.ExpectVersion(reader, FormatVersion, KindName);
        var count = reader.ReadInt32();
        if (count <= 0)
        {
            throw new InvalidDataException("a blend needs at least one component");
        }

        var components = new BlendComponent[count];
        for (var k = 0; k < count; k++)
        {
            var weight = reader.ReadSingle();
            components[k] = new BlendComponent(serializer.ReadModel(reader), weight);
        }

        return new BlendRecommender(components, fitComponents: false);
    }

    private void Combine(Span<float> scores, Action<IRecommender, float[]> score)
    {
        var n = ItemCount;
        var buffer = ArrayPool<float>.Shared.Rent(n);
        try
        {
            var total = scores[..n];
            total.Clear();
            var part = new ArraySegment<float>(buffer, 0, n);
            foreach (var c in Components)
            {
                if (c.Weight != 0)
                {
                    score(c.Model, buffer);
                    AddStandardised(part, c.Weight, total);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    private static void AddStandardised(Span<float> part, float weight, Span<float> total)
    {
        ScoreScaling.Standardize(part);
        TensorPrimitives.MultiplyAdd(part, weight, total, total);
    }

    private static IReadOnlyList<BlendComponent> Validate(IReadOnlyList<BlendComponent> components)
    {
        ArgumentNullException.ThrowIfNull(components);
        if (components.Count == 0)
        {
            throw new ArgumentException("a blend needs at least one component", nameof(components));
        }

        return components;
    }
}
