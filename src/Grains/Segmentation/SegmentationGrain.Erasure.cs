using Cohortly.Contracts;

namespace Cohortly.Grains.Segmentation;

/// <summary>Erased users leave the kept samples at once, and stay out of samples collected before their erasure.</summary>
public sealed partial class SegmentationGrain
{
    /// <summary>Erased users by erasure time; kept only as long as a sample stays usable (<see cref="StaleSample"/>).</summary>
    private readonly Dictionary<string, DateTimeOffset> _erased = new(StringComparer.Ordinal);

    public Task ForgetUser(string userId, DateTimeOffset erasedAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        _erased[userId] = _erased.TryGetValue(userId, out var known) && known > erasedAt ? known : erasedAt;
        foreach (var (silo, sample) in _samples.ToList())
        {
            _samples[silo] = WithoutErased(sample);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// The sample without the rows of users erased at or after it was collected (a silo's push can cross the
    /// erasure); later rows are the user's new history and stay.
    /// </summary>
    private FeatureSample WithoutErased(FeatureSample sample)
    {
        if (_erased.Count == 0)
        {
            return sample;
        }

        var now = time.GetUtcNow();
        foreach (var (user, at) in _erased.ToList())
        {
            if (now - at > StaleSample)
            {
                _erased.Remove(user);
            }
        }

        List<string>? ids = null;
        List<float[]>? rows = null;
        for (var i = 0; i < sample.UserIds.Count; i++)
        {
            var drop = _erased.TryGetValue(sample.UserIds[i], out var erasedAt) && erasedAt >= sample.CollectedAt;
            if (drop && ids is null)
            {
                ids = [.. sample.UserIds.Take(i)];
                rows = [.. sample.Rows.Take(i)];
            }
            else if (!drop && ids is not null)
            {
                ids.Add(sample.UserIds[i]);
                rows!.Add(sample.Rows[i]);
            }
        }

        return ids is null ? sample : sample with { UserIds = ids, Rows = rows! };
    }
}
