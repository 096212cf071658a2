namespace Cohortly.Modeling.Training;

/// <summary>The format-6 section of a model bundle: what the run's self-tuning chose (<see cref="TuningReport"/>).</summary>
internal static class TuningReportFormat
{
    public static void Write(BinaryWriter w, TuningReport? report)
    {
        w.Write(report is not null);
        if (report is null)
        {
            return;
        }

        w.Write(report.Enabled);
        w.Write(report.Reason);
        w.Write(report.Budget);
        w.Write(report.TrainUsers);
        w.Write(report.ValidationUsers);
        w.Write(report.DefaultNdcg);
        w.Write(report.ChosenNdcg);
        WriteValues(w, report.Defaults);
        WriteValues(w, report.Chosen);
        w.Write(report.Trials.Count);
        foreach (var t in report.Trials)
        {
            w.Write(t.Family);
            w.Write(t.Parameters);
            w.Write(t.Ndcg);
            w.Write(t.Seconds);
        }

        w.Write(report.Stopped ?? string.Empty);
        w.Write(report.Seconds);
    }

    public static TuningReport? Read(BinaryReader r)
    {
        if (!r.ReadBoolean())
        {
            return null;
        }

        var enabled = r.ReadBoolean();
        var reason = r.ReadString();
        var budget = r.ReadInt32();
        var trainUsers = r.ReadInt32();
        var validationUsers = r.ReadInt32();
        var defaultNdcg = r.ReadDouble();
        var chosenNdcg = r.ReadDouble();
        var defaults = ReadValues(r);
        var chosen = ReadValues(r);
        var trials = new TuningTrial[Count(r)];
        for (var k = 0; k < trials.Length; k++)
        {
            trials[k] = new TuningTrial(r.ReadString(), r.ReadString(), r.ReadDouble(), r.ReadDouble());
        }

        var stopped = r.ReadString();
        return new TuningReport(enabled, reason, budget, trainUsers, validationUsers, defaultNdcg, chosenNdcg, defaults, chosen, trials, stopped.Length == 0 ? null : stopped, r.ReadDouble());
    }

    private static void WriteValues(BinaryWriter w, IReadOnlyDictionary<string, double> values)
    {
        // Sorted by name, so equal reports write equal bytes whatever the dictionary's order.
        var names = new List<string>(values.Keys);
        names.Sort(StringComparer.Ordinal);
        w.Write(names.Count);
        foreach (var name in names)
        {
            w.Write(name);
            w.Write(values[name]);
        }
    }

    private static SortedDictionary<string, double> ReadValues(BinaryReader r)
    {
        var n = Count(r);
        var values = new SortedDictionary<string, double>(StringComparer.Ordinal);
        for (var k = 0; k < n; k++)
        {
            var name = r.ReadString();
            values[name] = r.ReadDouble();
        }

        return values;
    }

    private static int Count(BinaryReader r)
    {
        var n = r.ReadInt32();
        if (n < 0 || n > r.BaseStream.Length)
        {
            throw new InvalidDataException($"model bundle has an impossible count {n}");
        }

        return n;
    }
}
