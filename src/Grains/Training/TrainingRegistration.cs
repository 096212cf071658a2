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

        var bound = new TrainingOptions();
        section.Bind(bound);
        bound = bound with { Profile = profile };
        if (!section.GetSection("Segmentation").Exists())
        {
            var segmentation = new SegmentationSettings();
            configuration.GetSection(CohortlyOptions.Section + ":Segmentation").Bind(segmentation);
            bound = bound with { Segmentation = new SegmentationOptions { K = segmentation.K, Seed = segmentation.Seed, MaxMatchDistance = segmentation.MaxMatchDistance } };
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
}
