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
    public static void AddTrainingServices(IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(PipelineOptions(configuration));
        services.TryAddSingleton<IModelTrainer, PipelineModelTrainer>();
        services.TryAddSingleton<ModelCache>();
    }

    /// <summary>
    /// Modeling's <see cref="TrainingOptions"/> bound from Cohortly:Training (PositiveRating, Factors, Seed,
    /// Segmentation:*, Profile:*); the cohort count and seed default to Cohortly:Segmentation's so the trained
    /// segmentation matches the one the segmentation grain would build.
    /// </summary>
    public static TrainingOptions PipelineOptions(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(CohortlyOptions.Section + ":Training");
        // A copy of the shared default profile options, so binding Profile:* never mutates the static instance.
        var bound = new TrainingOptions { Profile = ProfileOptions.Default with { } };
        section.Bind(bound);
        if (!section.GetSection("Segmentation").Exists())
        {
            var segmentation = new SegmentationSettings();
            configuration.GetSection(CohortlyOptions.Section + ":Segmentation").Bind(segmentation);
            bound = bound with { Segmentation = new SegmentationOptions { K = segmentation.K, Seed = segmentation.Seed } };
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
