namespace Cohortly.Modeling.Repeats;

/// <summary>
/// Which repeat policy an item has: its own (set on the catalog item), else the first of its categories that has one,
/// else <see cref="Default"/> (<see cref="RepeatPolicy.Never"/> unless configured, so nothing bought comes back unless an
/// operator asks for it).
/// </summary>
public sealed class RepeatPolicyBook
{
    private readonly Dictionary<string, RepeatPolicy> _categories;

    public RepeatPolicyBook(RepeatPolicy defaultPolicy, IReadOnlyDictionary<string, RepeatPolicy>? categories)
    {
        Default = defaultPolicy;
        _categories = new Dictionary<string, RepeatPolicy>(StringComparer.OrdinalIgnoreCase);
        if (categories is not null)
        {
            foreach (var (category, policy) in categories)
            {
                _categories[category] = policy;
                AllNever &= policy == RepeatPolicy.Never;
            }
        }

        AllNever &= defaultPolicy == RepeatPolicy.Never;
    }

    public static RepeatPolicyBook NeverAgain { get; } = new(RepeatPolicy.Never, null);

    public RepeatPolicy Default { get; }

    /// <summary>True when no category and not the default lets any item back: only items with their own policy can.</summary>
    public bool AllNever { get; } = true;

    public RepeatPolicy Of(RepeatPolicy? own, IReadOnlyList<string>? categories)
    {
        if (own is { } policy)
        {
            return policy;
        }

        if (categories is not null && _categories.Count > 0)
        {
            foreach (var c in categories)
            {
                if (_categories.TryGetValue(c, out var byCategory))
                {
                    return byCategory;
                }
            }
        }

        return Default;
    }

    /// <summary>Parses configured names (<c>never</c>, <c>interval</c>, <c>always</c>); each problem names its key.</summary>
    public static RepeatPolicyBook Parse(string? defaultName, IReadOnlyDictionary<string, string>? categories, List<string> errors, string section)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var defaultPolicy = RepeatPolicy.Never;
        if (defaultName is not null && !RepeatPolicies.TryParse(defaultName, out defaultPolicy))
        {
            errors.Add($"{section}:Default: '{defaultName}' is not a repeat policy; use {string.Join(", ", RepeatPolicies.Names)}.");
        }

        var parsed = new Dictionary<string, RepeatPolicy>(StringComparer.OrdinalIgnoreCase);
        if (categories is not null)
        {
            foreach (var (category, name) in categories)
            {
                if (RepeatPolicies.TryParse(name, out var p))
                {
                    parsed[category] = p;
                }
                else
                {
                    errors.Add($"{section}:Categories:{category}: '{name}' is not a repeat policy; use {string.Join(", ", RepeatPolicies.Names)}.");
                }
            }
        }

        return new RepeatPolicyBook(defaultPolicy, parsed);
    }
}
