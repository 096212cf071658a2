using System.Buffers;
using System.Text;

namespace Cohortly.Modeling.Experiments;

/// <summary>
/// Deterministic assignment of users to variants. The bucket is FNV-1a 64 over the UTF-8 bytes of
/// "experimentId\0userId", passed through the SplitMix64 finalizer (FNV alone mixes its last bytes poorly, and
/// sequential user ids differ only there), and its top 53 bits read as a number in [0, 1). The same pair maps to
/// the same variant in every process and every .NET version (string.GetHashCode is randomized per process), and
/// the cohort is not an input: a user keeps their variant when they change cohort.
/// </summary>
public static class ExperimentAssignment
{
    private const ulong FnvOffset = 0xcbf29ce484222325;
    private const ulong FnvPrime = 0x100000001b3;
    private const int StackLimit = 256;

    /// <summary>The user's variant, or null when the user's current cohort is not in the experiment.</summary>
    public static string? Assign(ExperimentDefinition experiment, string userId, int cohortId)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        return experiment.IncludesCohort(cohortId) ? Variant(experiment, userId) : null;
    }

    /// <summary>The user's variant regardless of cohort (the split is cohort-independent).</summary>
    public static string Variant(ExperimentDefinition experiment, string userId)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        var u = Bucket(experiment.Id, userId);
        var variants = experiment.Variants;
        var total = 0.0;
        for (var i = 0; i < variants.Count; i++)
        {
            total += variants[i].Weight;
        }

        var cumulative = 0.0;
        for (var i = 0; i < variants.Count - 1; i++)
        {
            cumulative += variants[i].Weight / total;
            if (u < cumulative)
            {
                return variants[i].Name;
            }
        }

        return variants[^1].Name;
    }

    /// <summary>The user's position in [0, 1) for this experiment.</summary>
    public static double Bucket(string experimentId, string userId)
    {
        ArgumentNullException.ThrowIfNull(experimentId);
        ArgumentNullException.ThrowIfNull(userId);
        var length = Encoding.UTF8.GetMaxByteCount(experimentId.Length + 1 + userId.Length);
        byte[]? rented = null;
        Span<byte> buffer = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(experimentId, buffer);
            buffer[written++] = 0;
            written += Encoding.UTF8.GetBytes(userId, buffer[written..]);
            var hash = SplitMix64Finalize(Fnv1a64(buffer[..written]));
            return (hash >> 11) * (1.0 / (1UL << 53));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    internal static ulong Fnv1a64(ReadOnlySpan<byte> bytes)
    {
        var hash = FnvOffset;
        foreach (var b in bytes)
        {
            hash ^= b;
            hash *= FnvPrime;
        }

        return hash;
    }

    // Stafford's "Mix13" variant, the output function of SplitMix64 (Steele, Lea, Flood 2014).
    internal static ulong SplitMix64Finalize(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
        z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
        return z ^ (z >> 31);
    }
}
