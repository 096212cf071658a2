namespace Cohortly.Contracts;

[GenerateSerializer, Immutable, Alias("cohortly.ItemRecord")]
public sealed record ItemRecord(
    [property: Id(0)] string Id,
    [property: Id(1)] string? Title,
    [property: Id(2)] IReadOnlyList<string> Categories,
    [property: Id(3)] IReadOnlyList<string> Tags,
    [property: Id(4)] double? Price,
    [property: Id(5)] bool Available,
    [property: Id(6)] DateTimeOffset UpdatedAt);

[GenerateSerializer, Immutable, Alias("cohortly.CatalogSnapshot")]
public sealed record CatalogSnapshot([property: Id(0)] long Version, [property: Id(1)] IReadOnlyList<ItemRecord> Items);
