using System.Text.Json;
using Cohortly.Modeling.Exploration;

namespace Cohortly.Modeling.Training;

/// <summary>
/// Reads the JSON form of a <see cref="ServingPolicy"/>
/// (<c>{"exploration":{"kind":"thompson","alpha":1,"beta":1},"diversityLambda":0.9,"explorationSlots":1}</c>) with an
/// error per bad field, named by its path: an unknown kind is <c>exploration.kind</c>, a parameter out of range
/// <c>exploration.epsilon</c>. Property names match case-insensitively and in any order (the discriminator need not
/// come first); a parameter left out takes the kind's default. Writing is System.Text.Json's, through the attributes on
/// <see cref="ExplorationSpec"/>; the two agree (tested by a round trip of every kind).
/// </summary>
public static class ServingPolicyJson
{
    /// <summary>The policy, or null with at least one error.</summary>
    public static ServingPolicy? Read(JsonElement json, out IReadOnlyList<PolicyFieldError> errors)
    {
        var list = new List<PolicyFieldError>();
        errors = list;
        if (json.ValueKind != JsonValueKind.Object)
        {
            list.Add(new PolicyFieldError("body", "must be a JSON object"));
            return null;
        }

        JsonElement? exploration = null;
        double? lambda = null;
        int? slots = null;
        var lambdaSeen = false;
        var slotsSeen = false;
        foreach (var property in json.EnumerateObject())
        {
            if (Is(property, "exploration"))
            {
                exploration = property.Value;
            }
            else if (Is(property, "diversityLambda"))
            {
                lambdaSeen = true;
                lambda = Number(property.Value, "diversityLambda", list);
            }
            else if (Is(property, "explorationSlots"))
            {
                slotsSeen = true;
                slots = WholeNumber(property.Value, "explorationSlots", list);
            }
            else
            {
                list.Add(new PolicyFieldError(property.Name, "is not a policy field (exploration, diversityLambda, explorationSlots)"));
            }
        }

        var spec = exploration is { } e ? ReadExploration(e, list) : null;
        Required(exploration is not null, "exploration", list);
        Required(lambdaSeen, "diversityLambda", list);
        Required(slotsSeen, "explorationSlots", list);
        if (list.Count > 0 || spec is null || lambda is not { } diversity || slots is not { } explorationSlots)
        {
            return null;
        }

        var policy = new ServingPolicy(spec, diversity, explorationSlots);
        list.AddRange(policy.Validate());
        return list.Count == 0 ? policy : null;
    }

    /// <summary>Parses UTF-8 JSON; malformed JSON is one error on "body".</summary>
    public static ServingPolicy? Read(ReadOnlySpan<byte> utf8, out IReadOnlyList<PolicyFieldError> errors)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            using var document = JsonDocument.ParseValue(ref reader);
            return Read(document.RootElement, out errors);
        }
        catch (JsonException ex)
        {
            errors = [new PolicyFieldError("body", $"is not valid JSON ({ex.Message})")];
            return null;
        }
    }

    private static ExplorationSpec? ReadExploration(JsonElement json, List<PolicyFieldError> errors)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new PolicyFieldError("exploration", "must be an object with a kind, e.g. {\"kind\":\"epsilon-greedy\",\"epsilon\":0.1}"));
            return null;
        }

        string? kind = null;
        var parameters = new List<JsonProperty>();
        foreach (var property in json.EnumerateObject())
        {
            if (Is(property, "kind"))
            {
                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    errors.Add(new PolicyFieldError("exploration.kind", "must be a string"));
                    return null;
                }

                kind = property.Value.GetString();
            }
            else
            {
                parameters.Add(property);
            }
        }

        if (kind is null)
        {
            errors.Add(new PolicyFieldError("exploration.kind", $"is required: one of {string.Join(", ", ExplorationSpec.Kinds)}"));
            return null;
        }

        // The one place a kind's name becomes its type (besides reading bundles of format 1).
        var before = errors.Count;
        ExplorationSpec? spec = kind switch
        {
            NoExploration.KindName => Only(parameters, [], kind, errors) ? NoExploration.Instance : null,
            EpsilonGreedyExploration.KindName => Only(parameters, ["epsilon"], kind, errors)
                ? new EpsilonGreedyExploration(Parameter(parameters, "epsilon", errors) ?? new EpsilonGreedyExploration().Epsilon)
                : null,
            Ucb1Exploration.KindName => Only(parameters, ["constant"], kind, errors)
                ? new Ucb1Exploration(Parameter(parameters, "constant", errors) ?? new Ucb1Exploration().Constant)
                : null,
            ThompsonExploration.KindName => Only(parameters, ["alpha", "beta"], kind, errors)
                ? new ThompsonExploration(Parameter(parameters, "alpha", errors) ?? 1, Parameter(parameters, "beta", errors) ?? 1)
                : null,
            _ => Unknown(kind, errors),
        };
        return errors.Count == before ? spec : null;
    }

    private static void Required(bool present, string field, List<PolicyFieldError> errors)
    {
        if (!present)
        {
            errors.Add(new PolicyFieldError(field, "is required"));
        }
    }

    private static ExplorationSpec? Unknown(string kind, List<PolicyFieldError> errors)
    {
        errors.Add(new PolicyFieldError("exploration.kind", $"'{kind}' is not an exploration policy; use one of {string.Join(", ", ExplorationSpec.Kinds)}"));
        return null;
    }

    private static bool Only(List<JsonProperty> parameters, string[] allowed, string kind, List<PolicyFieldError> errors)
    {
        var ok = true;
        foreach (var p in parameters)
        {
            if (Array.FindIndex(allowed, a => string.Equals(a, p.Name, StringComparison.OrdinalIgnoreCase)) < 0)
            {
                var expected = allowed.Length == 0 ? "it has none" : string.Join(", ", allowed);
                errors.Add(new PolicyFieldError("exploration." + p.Name, $"is not a parameter of '{kind}' ({expected})"));
                ok = false;
            }
        }

        return ok;
    }

    private static double? Parameter(List<JsonProperty> parameters, string name, List<PolicyFieldError> errors)
    {
        foreach (var p in parameters)
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return Number(p.Value, "exploration." + name, errors);
            }
        }

        return null;
    }

    private static bool Is(JsonProperty property, string name) => string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase);

    private static double? Number(JsonElement value, string field, List<PolicyFieldError> errors)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && double.IsFinite(d))
        {
            return d;
        }

        errors.Add(new PolicyFieldError(field, "must be a finite number"));
        return null;
    }

    private static int? WholeNumber(JsonElement value, string field, List<PolicyFieldError> errors)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n))
        {
            return n;
        }

        errors.Add(new PolicyFieldError(field, "must be a whole number"));
        return null;
    }
}
