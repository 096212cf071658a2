namespace Cohortly.Modeling.Features;

/// <summary>Knobs of the live profile. Defaults suit e-commerce traffic.</summary>
public sealed record ProfileOptions
{
    /// <summary>A gap longer than this ends a session.</summary>
    public TimeSpan SessionGap { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Half-life of the category affinity decay.</summary>
    public TimeSpan AffinityHalfLife { get; init; } = TimeSpan.FromDays(14);

    /// <summary>How many recent items the profile remembers.</summary>
    public int RecentItemCount { get; init; } = 20;

    /// <summary>How many categories the affinity vector keeps (the weakest is dropped).</summary>
    public int MaxCategories { get; init; } = 32;

    /// <summary>How many purchased / dismissed items are remembered for filtering.</summary>
    public int ExcludedItemCount { get; init; } = 200;

    public static ProfileOptions Default { get; } = new();
}
