namespace Cohortly.Contracts;

[GenerateSerializer, Immutable, Alias("cohortly.ItemRecord")]
public sealed record ItemRecord(
    [property: Id(0)] string Id,
    [property: Id(1)] string? Title,
    [property: Id(2)] IReadOnlyList<string> Categories,
    [property: Id(3)] IReadOnlyList<string> Tags,
    [property: Id(4)] double? Price,
    [property: Id(5)] bool Available,
    [property: Id(6)] DateTimeOffset UpdatedAt)
{
    /// <summary>The item's own repeat policy ("buy again"); null (absent) takes its category's or the default.</summary>
    [Id(7)] public Modeling.Repeats.RepeatPolicy? Repeat { get; init; }
}

[GenerateSerializer, Immutable, Alias("cohortly.CatalogSnapshot")]
public sealed record CatalogSnapshot([property: Id(0)] long Version, [property: Id(1)] IReadOnlyList<ItemRecord> Items);
