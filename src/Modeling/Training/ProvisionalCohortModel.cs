using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Training;

/// <summary>One trained user: attributes, most used device, and the cohort training put them in.</summary>
public sealed record ProvisionalExample(IReadOnlyDictionary<string, string> Attributes, string? Device, int CohortId)
{
    /// <summary>The user's main value of each declared context key other than the device (country, referrer, …).</summary>
    public IReadOnlyDictionary<string, string>? Context { get; init; }
}

/// <summary>
/// Cohort for a user known only by attributes (age band, country, signup channel, ...) and request context (device):
/// a smoothed naive Bayes over attribute values learned from trained users, falling back to the largest cohort.
/// </summary>
/// <remarks>
/// Score(c) = log n_c + Σ_k log((n(c, k=v) + α) / (n(c, k) + α·(V_k + 1))) over the request's features k=v whose value
/// training saw (V_k values of feature k; the +1 leaves mass for unseen values). Features with a value training never
/// saw carry no evidence and are skipped, so a request without any known value gets the prior: the largest cohort.
/// The device is one more feature, kept apart from attributes so an attribute named "device" cannot collide with it.
/// </remarks>
public sealed class ProvisionalCohortModel
{
    private const int FormatVersion = 1;
    private const string DeviceFeature = "\u0001device";

    /// <summary>Prefix of a context key's feature (a character no attribute name can hold, like the device's).</summary>
    private const string ContextFeature = "\u0001context:";

    private readonly int[] _cohortIds;
    private readonly int[] _cohortSizes;
    private readonly Dictionary<string, Feature> _features;
    private readonly int _largest;

    private ProvisionalCohortModel(double smoothing, int[] cohortIds, int[] cohortSizes, Dictionary<string, Feature> features)
    {
        Smoothing = smoothing;
        _cohortIds = cohortIds;
        _cohortSizes = cohortSizes;
        _features = features;
        _largest = -1;
        for (var c = 0; c < cohortIds.Length; c++)
        {
            // Ties go to the smaller cohort id (cohort ids are sorted ascending), so the answer is deterministic.
            if (_largest < 0 || cohortSizes[c] > cohortSizes[_largest])
            {
                _largest = c;
            }
        }
    }

    /// <summary>Laplace pseudo-count α per feature value.</summary>
    public double Smoothing { get; }

    /// <summary>Cohort ids known to the model, ascending.</summary>
    public IReadOnlyList<int> CohortIds => _cohortIds;

    public static ProvisionalCohortModel Fit(IReadOnlyList<ProvisionalExample> examples) => Fit(examples, 1.0);

    /// <summary>As <see cref="Fit(IReadOnlyList{ProvisionalExample})"/> with an explicit Laplace pseudo-count.</summary>
    public static ProvisionalCohortModel Fit(IReadOnlyList<ProvisionalExample> examples, double smoothing)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (!(smoothing > 0) || double.IsInfinity(smoothing))
        {
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "smoothing must be positive and finite");
        }

        var ids = new SortedSet<int>();
        foreach (var e in examples)
        {
            ids.Add(e.CohortId);
        }

        var cohortIds = new int[ids.Count];
        ids.CopyTo(cohortIds);
        var position = new Dictionary<int, int>(cohortIds.Length);
        for (var c = 0; c < cohortIds.Length; c++)
        {
            position[cohortIds[c]] = c;
        }

        var sizes = new int[cohortIds.Length];
        var features = new Dictionary<string, Feature>(StringComparer.Ordinal);
        foreach (var e in examples)
        {
            var c = position[e.CohortId];
            sizes[c]++;
            if (e.Attributes is not null)
            {
                foreach (var (key, value) in e.Attributes)
                {
                    Count(features, key, value, c, cohortIds.Length);
                }
            }

            if (!string.IsNullOrEmpty(e.Device))
            {
                Count(features, DeviceFeature, e.Device, c, cohortIds.Length);
            }

            if (e.Context is not null)
            {
                foreach (var (key, value) in e.Context)
                {
                    Count(features, ContextFeature + key, value, c, cohortIds.Length);
                }
            }
        }

        return new ProvisionalCohortModel(smoothing, cohortIds, sizes, features);
    }

    /// <summary>Most likely cohort id, or null when the model knows no cohorts.</summary>
    public int? Predict(IReadOnlyDictionary<string, string>? attributes, string? device) => Predict(attributes, device, null);

    /// <summary>As <see cref="Predict(IReadOnlyDictionary{string, string}?, string?)"/>, with the request's other context keys as evidence too.</summary>
    public int? Predict(IReadOnlyDictionary<string, string>? attributes, string? device, IReadOnlyDictionary<string, string>? context)
    {
        if (_cohortIds.Length == 0)
        {
            return null;
        }

        var n = _cohortIds.Length;
        Span<double> scores = n <= 64 ? stackalloc double[n] : new double[n];
        for (var c = 0; c < n; c++)
        {
            scores[c] = Math.Log(_cohortSizes[c]);
        }

        var evidence = false;
        if (attributes is not null)
        {
            foreach (var (key, value) in attributes)
            {
                evidence |= Add(key, value, scores);
            }
        }

        if (!string.IsNullOrEmpty(device))
        {
            evidence |= Add(DeviceFeature, device, scores);
        }

        if (context is not null)
        {
            foreach (var (key, value) in context)
            {
                evidence |= Add(ContextFeature + key, value, scores);
            }
        }

        if (!evidence)
        {
            return _cohortIds[_largest];
        }

        var best = 0;
        for (var c = 1; c < n; c++)
        {
            if (scores[c] > scores[best] || (scores[c] == scores[best] && _cohortSizes[c] > _cohortSizes[best]))
            {
                best = c;
            }
        }

        return _cohortIds[best];
    }

    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatVersion);
        writer.Write(Smoothing);
        writer.Write(_cohortIds.Length);
        for (var c = 0; c < _cohortIds.Length; c++)
        {
            writer.Write(_cohortIds[c]);
            writer.Write(_cohortSizes[c]);
        }

        // Sorted so equal models write equal bytes.
        var keys = new string[_features.Count];
        _features.Keys.CopyTo(keys, 0);
        Array.Sort(keys, StringComparer.Ordinal);
        writer.Write(keys.Length);
        foreach (var key in keys)
        {
            var feature = _features[key];
            writer.Write(key);
            WriteCounts(writer, feature.Present);
            var values = new string[feature.Values.Count];
            feature.Values.Keys.CopyTo(values, 0);
            Array.Sort(values, StringComparer.Ordinal);
            writer.Write(values.Length);
            foreach (var value in values)
            {
                writer.Write(value);
                WriteCounts(writer, feature.Values[value]);
            }
        }
    }

    public static ProvisionalCohortModel Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        RecommenderSerializer.ExpectVersion(reader, FormatVersion, "provisional cohort");
        var smoothing = reader.ReadDouble();
        if (!(smoothing > 0) || double.IsInfinity(smoothing))
        {
            throw new InvalidDataException("provisional cohort model has an invalid smoothing");
        }

        var cohorts = ReadCount(reader);
        var ids = new int[cohorts];
        var sizes = new int[cohorts];
        for (var c = 0; c < cohorts; c++)
        {
            ids[c] = reader.ReadInt32();
            sizes[c] = reader.ReadInt32();
        }

        var keys = ReadCount(reader);
        var features = new Dictionary<string, Feature>(keys, StringComparer.Ordinal);
        for (var k = 0; k < keys; k++)
        {
            var key = reader.ReadString();
            var feature = new Feature(ReadCounts(reader, cohorts));
            var values = ReadCount(reader);
            for (var v = 0; v < values; v++)
            {
                var value = reader.ReadString();
                feature.Values[value] = ReadCounts(reader, cohorts);
            }

            features[key] = feature;
        }

        return new ProvisionalCohortModel(smoothing, ids, sizes, features);
    }

    private bool Add(string key, string value, Span<double> scores)
    {
        if (!_features.TryGetValue(key, out var feature) || !feature.Values.TryGetValue(value, out var counts))
        {
            return false;
        }

        var alpha = Smoothing;
        var outcomes = feature.Values.Count + 1;
        for (var c = 0; c < scores.Length; c++)
        {
            scores[c] += Math.Log((counts[c] + alpha) / (feature.Present[c] + (alpha * outcomes)));
        }

        return true;
    }

    private static void Count(Dictionary<string, Feature> features, string key, string value, int cohort, int cohorts)
    {
        if (!features.TryGetValue(key, out var feature))
        {
            feature = new Feature(new int[cohorts]);
            features[key] = feature;
        }

        if (!feature.Values.TryGetValue(value, out var counts))
        {
            counts = new int[cohorts];
            feature.Values[value] = counts;
        }

        counts[cohort]++;
        feature.Present[cohort]++;
    }

    private static void WriteCounts(BinaryWriter writer, int[] counts)
    {
        foreach (var v in counts)
        {
            writer.Write(v);
        }
    }

    private static int[] ReadCounts(BinaryReader reader, int cohorts)
    {
        var counts = new int[cohorts];
        for (var c = 0; c < cohorts; c++)
        {
            counts[c] = reader.ReadInt32();
        }

        return counts;
    }

    private static int ReadCount(BinaryReader reader)
    {
        var n = reader.ReadInt32();
        return n >= 0 ? n : throw new InvalidDataException("negative count in provisional cohort model");
    }

    /// <summary>Per cohort: how many users had the feature at all, and how many had each value.</summary>
    private sealed class Feature(int[] present)
    {
        public int[] Present { get; } = present;

        public Dictionary<string, int[]> Values { get; } = new(StringComparer.Ordinal);
    }
}
