namespace Cohortly.Modeling.Data;

/// <summary>Descriptive data about an item, used by content-based scoring and by reports.</summary>
public sealed record ItemMetadata(string Title, IReadOnlyList<string> Categories, IReadOnlyList<string> Tags)
{
    public static ItemMetadata Empty { get; } = new(string.Empty, [], []);

    public ItemMetadata WithTags(IReadOnlyList<string> tags) => this with { Tags = tags };
}
