using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Rules;

namespace Cohortly.Grains.Rules;

/// <summary>The stored rule set: its JSON (one form for the API, the wire and storage), version and time of change.</summary>
public sealed class RulesState
{
    public string? Json { get; set; }
}

/// <summary>
/// One owner of the merchandising rules (key 0). Writes are rare and validated against the live catalog here, so a set
/// that would empty a list is never stored; silos read it through their <c>RulesCache</c>, never per request.
/// </summary>
public sealed class RulesGrain(
    [PersistentState("rules", StreamNames.Storage)] IPersistentState<RulesState> state,
    TimeProvider time) : Grain, IRulesGrain
{
    private RuleSet? _rules;

    public Task<RuleSet> Get() => Task.FromResult(Current);

    public Task<long> GetVersion() => Task.FromResult(Current.Version);

    public async Task<RuleSetUpdate> Replace(RuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var snapshot = await GrainFactory.GetGrain<ICatalogGrain>(ICatalogGrain.Key).GetSnapshot();
        var catalog = new ItemInfo[snapshot.Items.Count];
        for (var i = 0; i < catalog.Length; i++)
        {
            var item = snapshot.Items[i];
            catalog[i] = new ItemInfo(item.Id, item.Categories, item.Price, item.Available, item.Tags);
        }

        var errors = RuleSetValidator.Validate(rules, catalog);
        if (errors.Count > 0)
        {
            return new RuleSetUpdate(null, errors.ConvertAll(e => new RuleFieldError(e.Field, e.Message)));
        }

        var stored = rules with { Version = Current.Version + 1, UpdatedAt = time.GetUtcNow() };
        state.State.Json = RuleSetJson.Write(stored);
        await state.WriteStateAsync();
        _rules = stored;
        return new RuleSetUpdate(stored, []);
    }

    private RuleSet Current => _rules ??= state.State.Json is { } json ? RuleSetJson.ReadStored(json) : RuleSet.Empty;
}
