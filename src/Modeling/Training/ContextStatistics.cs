namespace Cohortly.Modeling.Training;

/// <summary>
/// How much more (or less) an item is used on a device and in a time-of-day bucket than items overall, learned from
/// the training log with smoothing so rare items stay near 1.
/// </summary>
public sealed class ContextStatistics
{
    /// <summary>Learns from parallel arrays of (item index, device or null, unix ms timestamp).</summary>
    public static ContextStatistics Fit(int itemCount, ReadOnlySpan<int> items, IReadOnlyList<string?> devices, ReadOnlySpan<long> timestampsMs) =>
        throw new NotImplementedException();

    /// <summary>Multiplicative lift (≈1 when unknown) of <paramref name="item"/> for the device and hour of day (0..23, UTC).</summary>
    public float Lift(int item, string? device, int hourOfDay) => throw new NotImplementedException();

    public void Write(BinaryWriter writer) => throw new NotImplementedException();

    public static ContextStatistics Read(BinaryReader reader) => throw new NotImplementedException();
}
