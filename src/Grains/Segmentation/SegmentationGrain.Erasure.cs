using Cohortly.Contracts;

namespace Cohortly.Grains.Segmentation;

/// <summary>
/// Erased users leave the kept samples at once. For <see cref="StaleSample"/> afterwards their rows are also dropped
/// from every pushed sample, and every silo, which asks for <see cref="ErasedUsers"/> before each push, forgets their
/// features (a silo the user was active on earlier still holds a row); after that no silo has one to push. A user who
/// comes back within that window is missing from the sample until it ends.
/// </summary>
public sealed partial class SegmentationGrain
{
    /// <summary>
    /// Erased users by erasure time, kept for <see cref="StaleSample"/> (far longer than a push period). Persisted: a
    /// reactivated grain must still tell the silos, or a silo's old row of the user would come back with its next push.
    /// </summary>
    private Dictionary<string, DateTimeOffset> Erased => state.State.Erased;

    public async Task ForgetUser(string userId, DateTimeOffset erasedAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        PruneErased();
        Erased[userId] = Erased.TryGetValue(userId, out var known) && known > erasedAt ? known : erasedAt;
        await state.WriteStateAsync();
        foreach (var (silo, sample) in _samples.ToList())
        {
            _samples[silo] = WithoutErased(sample);
        }
    }

    public Task<IReadOnlyList<string>> ErasedUsers()
    {
        PruneErased();
        return Task.FromResult<IReadOnlyList<string>>([.. Erased.Keys]);
    }

    private void PruneErased()
    {
        var now = time.GetUtcNow();
        foreach (var (user, at) in Erased.ToList())
        {
            if (now - at > StaleSample)
            {
                Erased.Remove(user);
            }
        }
    }

    /// <summary>The sample without the rows of recently erased users.</summary>
    private FeatureSample WithoutErased(FeatureSample sample)
    {
        if (Erased.Count == 0)
        {
            return sample;
        }

        PruneErased();
        List<string>? ids = null;
        List<float[]>? rows = null;
        for (var i = 0; i < sample.UserIds.Count; i++)
        {
            var drop = Erased.ContainsKey(sample.UserIds[i]);
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
