using System.Buffers;
using System.Numerics.Tensors;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Recommenders;

namespace Cohortly.Modeling.Cohorts;

// The cohort model's bytes: what a bundle stores and reads back (format 2; format 1, weights only, still reads).
public sealed partial class CohortAwareRecommender
{
    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatVersion);
        writer.Write(Signals.Count);
        foreach (var s in Signals)
        {
            writer.Write(s.Name);
            writer.Write(s.GlobalWeight);
            RecommenderSerializer.Default.WriteModel(writer, s.Model);
        }

        RecommenderSerializer.Default.WriteModel(writer, _cohortPopularity);
        writer.Write(_userGroups.Length);
        BinaryArrays.Write(writer, _userGroups);
        writer.Write(_groupWeights.Length);
        foreach (var d in _decisions)
        {
            writer.Write(d.Adapted);
            writer.Write(d.ValidationUsers);
            writer.Write(d.GlobalNdcg);
            writer.Write(d.AdaptedNdcg);
            writer.Write(d.OutOfFoldGain);
            writer.Write(d.OutOfFoldStandardError);
            BinaryArrays.Write(writer, [.. d.Weights]);
            writer.Write((int)d.Form);
            writer.Write(d.OffsetWeight);
            writer.Write(d.Evidence.Count);
            foreach (var e in d.Evidence)
            {
                writer.Write((int)e.Form);
                writer.Write(e.Gain);
                writer.Write(e.StandardError);
                writer.Write(e.Weight);
            }

            var offset = OffsetOf(d.Group);
            writer.Write(offset.Length);
            BinaryArrays.Write(writer, offset.ToArray());
        }
    }

    /// <summary>Reads a fitted model; <see cref="RecommenderSerializer.Default"/> knows this kind.</summary>
    public static CohortAwareRecommender Read(BinaryReader reader, RecommenderSerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(serializer);
        var format = reader.ReadInt32();
        if (format is not (FormatVersion or WeightsOnlyFormat))
        {
            throw new InvalidDataException($"{KindName} model format version {format} is not supported (expected {WeightsOnlyFormat} to {FormatVersion})");
        }

        var count = reader.ReadInt32();
        if (count <= 0)
        {
            throw new InvalidDataException("a cohort model needs at least one signal");
        }

        var signals = new CohortSignal[count];
        for (var s = 0; s < count; s++)
        {
            var name = reader.ReadString();
            var weight = reader.ReadSingle();
            signals[s] = new CohortSignal(name, serializer.ReadModel(reader), weight);
        }

        var model = new CohortAwareRecommender(signals, null!)
        {
            _cohortPopularity = (PopularityRecommender)serializer.ReadModel(reader),
        };
        model._userGroups = BinaryArrays.ReadInt32(reader, reader.ReadInt32());
        model._globalWeights = new float[count + 1];
        for (var s = 0; s < count; s++)
        {
            model._globalWeights[s] = signals[s].GlobalWeight;
        }

        var groups = reader.ReadInt32();
        model._groupWeights = new float[groups][];
        model._groupOffsets = new float[groups][];
        model._decisions = new CohortDecision[groups];
        for (var g = 0; g < groups; g++)
        {
            var adapted = reader.ReadBoolean();
            var users = reader.ReadInt32();
            var globalNdcg = reader.ReadDouble();
            var adaptedNdcg = reader.ReadDouble();
            var gain = reader.ReadDouble();
            var standardError = reader.ReadDouble();
            var weights = BinaryArrays.ReadSingle(reader, count + 1);
            model._groupWeights[g] = weights;
            var decision = new CohortDecision(g, users, adapted, weights, globalNdcg, adaptedNdcg, gain, standardError);
            model._groupOffsets[g] = [];
            if (format >= FormatVersion)
            {
                var form = ReadForm(reader);
                var offsetWeight = reader.ReadSingle();
                var evidence = new CohortFormEvidence[ReadCount(reader, 16)];
                for (var x = 0; x < evidence.Length; x++)
                {
                    evidence[x] = new CohortFormEvidence(ReadForm(reader), reader.ReadDouble(), reader.ReadDouble(), reader.ReadSingle());
                }

                var length = reader.ReadInt32();
                if (length != 0 && length != model.ItemCount)
                {
                    throw new InvalidDataException($"cohort offset of group {g} has {length} items, the signals {model.ItemCount}");
                }

                model._groupOffsets[g] = BinaryArrays.ReadSingle(reader, length);
                decision = decision with { Form = form, OffsetWeight = offsetWeight, Evidence = evidence };
            }

            model._decisions[g] = decision;
        }

        return model;
    }

    private static CohortAdaptationForm ReadForm(BinaryReader reader)
    {
        var code = reader.ReadInt32();
        return Enum.IsDefined((CohortAdaptationForm)code) ? (CohortAdaptationForm)code : throw new InvalidDataException($"unknown cohort adaptation form {code}");
    }

    private static int ReadCount(BinaryReader reader, int max)
    {
        var n = reader.ReadInt32();
        return (uint)n <= (uint)max ? n : throw new InvalidDataException($"count {n} out of range 0..{max}");
    }
}
