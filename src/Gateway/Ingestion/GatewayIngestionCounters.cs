namespace Cohortly.Gateway.Ingestion;

/// <summary>
/// This gateway's own ingestion totals since it started, for the operators' panel: events the sink took (202),
/// events refused per item, and requests answered busy (503). One interlocked add per request, not per event. The
/// OpenTelemetry counters carry the same numbers to a metrics backend; these are kept because a meter cannot be read
/// back in-process.
/// </summary>
public sealed class GatewayIngestionCounters(TimeProvider time)
{
    private long _accepted;
    private long _rejected;
    private long _busy;

    public DateTimeOffset Since { get; } = time.GetUtcNow();

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Rejected => Interlocked.Read(ref _rejected);

    public long Busy => Interlocked.Read(ref _busy);

    public void Record(int accepted, int rejected)
    {
        if (accepted > 0)
        {
            Interlocked.Add(ref _accepted, accepted);
        }

        if (rejected > 0)
        {
            Interlocked.Add(ref _rejected, rejected);
        }
    }

    public void RecordBusy() => Interlocked.Increment(ref _busy);
}
