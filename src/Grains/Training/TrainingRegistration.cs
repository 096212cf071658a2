using Cohortly.Grains.Hosting;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Training;

/// <summary>Training services every silo has, whatever its backend.</summary>
public static class TrainingRegistration
{
    /// <summary>
    /// Trainer, pipeline options and model cache. The log and model store belong to the backend
    /// (<see cref="CohortlyBackend.AddStorage(ISiloBuilder, CohortlyOptions)"/>). The trainer is TryAdd'ed so tests
    /// can supply their own first.
    /// </summary>
    public static void AddTrainingServices(IServiceCollection services, IConfiguration configuration, ProfileOptions profile)
    {
        services.TryAddSingleton(PipelineOptions(configuration, profile));
        services.TryAddSingleton<IModelTrainer, PipelineModelTrainer>();
        services.TryAddSingleton<ModelCache>();
    }

    /// <summary>
    /// Modeling's <see cref="TrainingOptions"/> bound from Cohortly:Training (PositiveRating, Factors, Seed,
    /// Segmentation:*) with the profile options of Cohortly:Users; the cohort count and seed default to
    /// Cohortly:Segmentation's so the trained segmentation matches the one the segmentation grain would build.
    /// </summary>
    public static TrainingOptions PipelineOptions(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var users = new UserSettings();
        configuration.GetSection(CohortlyOptions.Section + ":Users").Bind(users);
        return PipelineOptions(configuration, users.Profile());
    }

    /// <summary>As <see cref="PipelineOptions(IConfiguration)"/>, with the silo's one profile options instance.</summary>
    public static TrainingOptions PipelineOptions(IConfiguration configuration, ProfileOptions profile)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(profile);
        var section = configuration.GetSection(CohortlyOptions.Section + ":Training");
        if (section.GetSection("Profile").Exists())
        {
            // Training used to read its own profile knobs here while live users read Cohortly:Users, so the two
            // could disagree; refuse the old section rather than ignore it.
            throw new OptionsValidationException(nameof(TrainingOptions), typeof(TrainingOptions), ["Cohortly:Training:Profile is no longer read: live profiles and training both use Cohortly:Users (RecentItems, AffinityHalfLife, SessionGap, MaxCategories, ExcludedItems)."]);
        }

        RefuseRenamedPolicyKeys(section);
        var bound = new TrainingOptions();
        // DefaultPolicy is typed (a kind with its own parameters), which the binder cannot build; it is read below
        // through the same reader as the API's JSON form, so it is left out of the binding.
        try
        {
            WithoutSection(section, PolicySection).Bind(bound);
        }
        catch (InvalidOperationException ex)
        {
            // A value of the wrong type (e.g. an unknown ReferenceTime): fail at start naming the section and the key.
            throw new OptionsValidationException(nameof(TrainingOptions), typeof(TrainingOptions), [$"Cohortly:Training: {ex.Message}"]);
        }

        bound = bound with { Profile = profile, DefaultPolicy = DefaultPolicy(section) };
        if (!section.GetSection("Segmentation").Exists())
        {
            var segmentation = new SegmentationSettings();
            configuration.GetSection(CohortlyOptions.Section + ":Segmentation").Bind(segmentation);
            try
            {
                bound = bound with { Segmentation = segmentation.ToOptions() };
            }
            catch (ArgumentException ex)
            {
                throw new OptionsValidationException(nameof(TrainingOptions), typeof(TrainingOptions), [ex.Message]);
            }
        }

        try
        {
            bound.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new OptionsValidationException(nameof(TrainingOptions), typeof(TrainingOptions), [$"Cohortly:Training: {ex.Message}"]);
        }

        return bound;
    }

    private const string PolicySection = "DefaultPolicy";

    private static readonly (string Old, string New)[] RenamedPolicyKeys =
    [
        ("DefaultExploration", "DefaultPolicy:Exploration:Kind"),
        ("DefaultEpsilon", "DefaultPolicy:Exploration:Epsilon"),
        ("DefaultDiversityLambda", "DefaultPolicy:DiversityLambda"),
        ("DefaultExplorationSlots", "DefaultPolicy:ExplorationSlots"),
    ];

    /// <summary>The old flat policy keys would be silently ignored now; refuse them with the key that replaced each.</summary>
    private static void RefuseRenamedPolicyKeys(IConfigurationSection section)
    {
        var errors = new List<string>();
        foreach (var (old, replacement) in RenamedPolicyKeys)
        {
            if (section.GetSection(old).Value is not null)
            {
                errors.Add($"Cohortly:Training:{old} is no longer read: the default serving policy is typed; use Cohortly:Training:{replacement} (kinds: {string.Join(", ", Modeling.Exploration.ExplorationSpec.Kinds)}).");
            }
        }

        if (errors.Count > 0)
        {
            throw new OptionsValidationException(nameof(TrainingOptions), typeof(TrainingOptions), errors);
        }
    }

    /// <summary>
    /// Cohortly:Training:DefaultPolicy in the API's JSON shape (Exploration:Kind, Exploration:Epsilon | Constant |
    /// Alpha + Beta, DiversityLambda, ExplorationSlots), read by <see cref="ServingPolicyJson"/>; what is left out keeps
    /// <see cref="ServingPolicy.Default"/>'s value. Errors name the configuration key.
    /// </summary>
    internal static ServingPolicy DefaultPolicy(IConfigurationSection training)
    {
        var section = training.GetSection(PolicySection);
        if (!section.Exists())
        {
            return ServingPolicy.Default;
        }

        var json = ToJson(section);
        if (!ContainsKey(json, "exploration"))
        {
            json["exploration"] = System.Text.Json.JsonSerializer.SerializeToNode(ServingPolicy.Default.Exploration);
        }

        if (!ContainsKey(json, "diversityLambda"))
        {
            json["diversityLambda"] = ServingPolicy.Default.DiversityLambda;
        }

        if (!ContainsKey(json, "explorationSlots"))
        {
            json["explorationSlots"] = ServingPolicy.Default.ExplorationSlots;
        }

        var element = System.Text.Json.JsonSerializer.SerializeToElement(json);
        if (ServingPolicyJson.Read(element, out var errors) is { } policy)
        {
            return policy;
        }

        var messages = new List<string>(errors.Count);
        foreach (var e in errors)
        {
            messages.Add($"Cohortly:Training:DefaultPolicy:{e.Field.Replace('.', ':')} {e.Message}.");
        }

        throw new OptionsValidationException(nameof(TrainingOptions), typeof(TrainingOptions), messages);
    }

    private static bool ContainsKey(System.Text.Json.Nodes.JsonObject json, string key)
    {
        foreach (var (name, _) in json)
        {
            if (string.Equals(name, key, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Configuration values are text: a number-looking value becomes a JSON number, anything else a string.</summary>
    private static System.Text.Json.Nodes.JsonObject ToJson(IConfigurationSection section)
    {
        var json = new System.Text.Json.Nodes.JsonObject();
        foreach (var child in section.GetChildren())
        {
            if (child.Value is { } value)
            {
                json[child.Key] = double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number)
                    ? (System.Text.Json.Nodes.JsonNode)number
                    : value;
            }
            else
            {
                json[child.Key] = ToJson(child);
            }
        }

        return json;
    }

    private static IConfiguration WithoutSection(IConfigurationSection section, string excluded)
    {
        var values = new List<KeyValuePair<string, string?>>();
        foreach (var (key, value) in section.AsEnumerable(makePathsRelative: true))
        {
            var inExcluded = key.Equals(excluded, StringComparison.OrdinalIgnoreCase) || key.StartsWith(excluded + ConfigurationPath.KeyDelimiter, StringComparison.OrdinalIgnoreCase);
            if (value is not null && !inExcluded)
            {
                values.Add(new(key, value));
            }
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }
}
