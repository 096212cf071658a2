namespace Cohortly.Modeling.Events;

/// <summary>
/// One declared context key: either a closed set of <see cref="Values"/> (anything else counts as <c>other</c> when the
/// set has it, and is rejected when it has not) or free values
/// of which at most <see cref="MaxValues"/> distinct ones are learned (training keeps the most used; the rest count as
/// unknown, lift 1).
/// </summary>
public sealed record ContextKeyDefinition(string Name, IReadOnlyList<string> Values, int MaxValues)
{
    public bool IsClosed => Values.Count > 0;
}

/// <summary>
/// The declared, bounded set of context keys events and recommendation requests may carry (<c>Cohortly:Context:Keys</c>).
/// <c>device</c> keeps its own field (as before); every other declared key travels in the event's and the request's
/// context map and reaches the profile, training and serving. Undeclared keys are ignored (still bounded in length at
/// the edge); a value outside a closed key's set counts as <c>other</c> when the set declares it (the defaults do) and is
/// rejected otherwise. Why not reject it always: context is a hint for ranking, and an event is what the cluster learns
/// from; a client that sends a referrer URL or a page type it invented should lose the hint, not the event.
/// </summary>
public sealed class ContextSchema
{
    public const string Device = "device";

    /// <summary>The value a closed key's unknown values count as, when the key declares it.</summary>
    public const string Other = "other";

    /// <summary>Most keys a schema may declare (each costs a histogram per user and a lift table per model).</summary>
    public const int MaxKeys = 8;

    /// <summary>Longest free context value.</summary>
    public const int MaxValueLength = 64;

    private readonly Dictionary<string, ContextKeyDefinition> _byName;

    private ContextSchema(IReadOnlyList<ContextKeyDefinition> keys)
    {
        Keys = keys;
        _byName = new Dictionary<string, ContextKeyDefinition>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in keys)
        {
            _byName[key.Name] = key;
        }
    }

    /// <summary>device (8 values), country (50), referrer and pageType (closed sets).</summary>
    public static ContextSchema Default { get; } = new(
    [
        new ContextKeyDefinition(Device, [], 8),
        new ContextKeyDefinition("country", [], 50),
        new ContextKeyDefinition("referrer", ["direct", "search", "social", "email", "ads", "partner", "internal", "other"], 8),
        new ContextKeyDefinition("pageType", ["home", "category", "product", "search", "cart", "checkout", "content", "other"], 8),
    ]);

    public IReadOnlyList<ContextKeyDefinition> Keys { get; }

    /// <summary>A schema of <paramref name="keys"/>, or an exception naming what is wrong (used at start-up validation).</summary>
    public static ContextSchema Create(IReadOnlyList<ContextKeyDefinition> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (Validate(keys) is { } problem)
        {
            throw new ArgumentException(problem, nameof(keys));
        }

        return new ContextSchema(keys);
    }

    /// <summary>What is wrong with <paramref name="keys"/> as a schema, or null.</summary>
    public static string? Validate(IReadOnlyList<ContextKeyDefinition> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count > MaxKeys)
        {
            return $"at most {MaxKeys} context keys may be declared";
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in keys)
        {
            if (string.IsNullOrEmpty(key.Name) || key.Name.Length > 32 || !IsToken(key.Name) || !names.Add(key.Name))
            {
                return $"context key '{key.Name}' must be a unique name of 1–32 letters, digits, '-' or '_'";
            }

            if (key.MaxValues is < 1 or > 256)
            {
                return $"context key '{key.Name}': MaxValues must be between 1 and 256";
            }

            if (key.Values.Count > 256)
            {
                return $"context key '{key.Name}': at most 256 values";
            }

            foreach (var value in key.Values)
            {
                if (string.IsNullOrEmpty(value) || value.Length > MaxValueLength || !IsToken(value))
                {
                    return $"context key '{key.Name}': value '{value}' must be 1–{MaxValueLength} letters, digits, '-' or '_'";
                }
            }
        }

        return null;
    }

    public ContextKeyDefinition? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// Checks one context entry. Returns an error message for a bad value of a declared key; otherwise null, with
    /// <paramref name="normalized"/> the value to keep (a closed key's declared spelling, a free value in lower case)
    /// and <paramref name="key"/> the declared name — or both null for an undeclared key or an empty value (ignored).
    /// </summary>
    public string? Check(string name, string? value, out string? key, out string? normalized)
    {
        key = null;
        normalized = null;
        if (!_byName.TryGetValue(name, out var definition) || string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var trimmed = value.Trim();
        if (definition.IsClosed)
        {
            foreach (var allowed in definition.Values)
            {
                if (string.Equals(allowed, trimmed, StringComparison.OrdinalIgnoreCase))
                {
                    key = definition.Name;
                    normalized = allowed;
                    return null;
                }
            }

            foreach (var allowed in definition.Values)
            {
                if (string.Equals(allowed, Other, StringComparison.OrdinalIgnoreCase))
                {
                    key = definition.Name;
                    normalized = allowed;
                    return null;
                }
            }

            return $"must be one of {string.Join(", ", definition.Values)}";
        }

        if (trimmed.Length > MaxValueLength || !IsToken(trimmed))
        {
            return $"must be 1–{MaxValueLength} letters, digits, '-' or '_'";
        }

        key = definition.Name;
        normalized = trimmed.ToLowerInvariant();
        return null;
    }

    private static bool IsToken(string text)
    {
        foreach (var ch in text)
        {
            if (!(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
