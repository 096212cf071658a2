using System.Diagnostics.Metrics;

namespace Cohortly.TestSupport;

/// <summary>
/// How many streams the persistent-stream pulling agents of one provider hold in this process: the sum of Orleans'
/// gauge <c>orleans-streams-persistent-stream-pubsub-cache-size</c> (one measurement per pulling agent, tagged
/// <c>name = "{provider}.{queue}"</c>). Each held stream carries its consumers' cache cursors; the agent drops a stream
/// idle for StreamInactivityPeriod. The gauge is static in Orleans, so agents of every silo in the process report:
/// give a test's provider a name of its own, or run the test where no other silo of that provider is active.
/// </summary>
public static class PullingAgentStreams
{
    public const string Instrument = "orleans-streams-persistent-stream-pubsub-cache-size";

    public static int Held(string providerName)
    {
        var prefix = providerName + ".";
        var total = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == Instrument)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "name" && tag.Value is string name && name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    total += value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return total;
    }
}
