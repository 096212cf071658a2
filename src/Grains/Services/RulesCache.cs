using Cohortly.Contracts;
using Cohortly.Modeling.Rules;

namespace Cohortly.Grains.Services;

/// <summary>
/// Per-silo copy of the merchandising rules, compiled once per version (like the catalog and experiment caches it
/// follows the owner's version on the cache poll): serving reads <see cref="Current"/> and calls no grain.
/// </summary>
public sealed class RulesCache
{
    private volatile RuleBook _book = RuleBook.Empty;

    public RuleBook Current => _book;

    public async Task RefreshAsync(IGrainFactory grains, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var owner = grains.GetGrain<IRulesGrain>(IRulesGrain.Key);
        var version = await owner.GetVersion().WaitAsync(cancellationToken);
        if (version == _book.Version)
        {
            return;
        }

        Load(await owner.Get().WaitAsync(cancellationToken));
    }

    public void Load(RuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Version != _book.Version)
        {
            _book = RuleBook.Compile(rules);
        }
    }
}
