using Cohortly.Modeling.Rules;
using Orleans.Concurrency;

namespace Cohortly.Contracts;

/// <summary>
/// The one owner of the merchandising rule set. Serving never calls it: each silo's <c>RulesCache</c> follows
/// <see cref="GetVersion"/> on the cache poll and compiles the set once per version.
/// </summary>
[Alias("cohortly.IRulesGrain")]
public interface IRulesGrain : IGrainWithIntegerKey
{
    public const long Key = 0;

    [Alias("Get"), ReadOnly]
    Task<RuleSet> Get();

    [Alias("GetVersion"), ReadOnly]
    Task<long> GetVersion();

    /// <summary>Replaces the whole set when it is valid against the live catalog; otherwise changes nothing and names the bad fields.</summary>
    [Alias("Replace")]
    Task<RuleSetUpdate> Replace(RuleSet rules);
}

/// <summary>What a replacement did: the stored set (with its new version), or the errors that kept the old one.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.RuleSetUpdate")]
public sealed record RuleSetUpdate(
    [property: Id(0)] RuleSet? Stored,
    [property: Id(1)] IReadOnlyList<RuleFieldError> Errors);

/// <summary>A rule set field that is wrong (<c>rules[2].factor</c>) and why.</summary>
[GenerateSerializer, Immutable, Alias("cohortly.RuleFieldError")]
public sealed record RuleFieldError([property: Id(0)] string Field, [property: Id(1)] string Message);

/// <summary>A rule set on the wire: its JSON (<see cref="RuleSetJson"/>, the same form as the API and the grain's storage).</summary>
[GenerateSerializer, Alias("cohortly.RuleSetJsonSurrogate")]
public struct RuleSetSurrogate
{
    [Id(0)] public string Json;
}

[RegisterConverter]
public sealed class RuleSetConverter : IConverter<RuleSet, RuleSetSurrogate>
{
    public RuleSet ConvertFromSurrogate(in RuleSetSurrogate surrogate) => RuleSetJson.ReadStored(surrogate.Json);

    public RuleSetSurrogate ConvertToSurrogate(in RuleSet value) => new() { Json = RuleSetJson.Write(value) };
}
