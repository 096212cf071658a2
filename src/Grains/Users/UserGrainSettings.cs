using Cohortly.Grains.Hosting;
using Cohortly.Modeling.Features;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Users;

/// <summary>Per-silo, immutable user grain settings, so 100k activations share one copy.</summary>
public sealed class UserGrainSettings(IOptions<CohortlyOptions> options)
{
    public ProfileOptions Profile { get; } = new()
    {
        RecentItemCount = options.Value.Users.RecentItems,
        AffinityHalfLife = options.Value.Users.AffinityHalfLife,
        SessionGap = options.Value.Users.SessionGap,
    };

    public TimeSpan WriteBehind { get; } = options.Value.Users.WriteBehind;

    public int MaxTransitions { get; } = options.Value.Users.MaxTransitions;

    public TimeSpan DeduplicationWindow { get; } = options.Value.Users.DeduplicationWindow;
}
