using Cohortly.Grains.Hosting;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Training;

/// <summary>Training services for silos and (the log and attribute side only) cluster-mode gateways.</summary>
public static class TrainingRegistration
{
    /// <summary>Log, store, trainer and model cache. The trainer is TryAdd'ed so tests can supply their own first.</summary>
    public static void AddTrainingServices(IServiceCollection services, IConfiguration configuration, CohortlyOptions options)
    {
        AddLog(services, configuration, options);
        if (options.IsRedis)
        {
            services.TryAddSingleton<IModelStore, RedisModelStore>();
        }
        else
        {
            services.TryAddSingleton<IModelStore, FileModelStore>();
        }

        services.TryAddSingleton(PipelineOptions(configuration));
        services.TryAddSingleton<IModelTrainer, PipelineModelTrainer>();
        services.TryAddSingleton<ModelCache>();
    }

    /// <summary>The interaction log: files in embedded mode, Redis streams + a hash in cluster mode.</summary>
    public static void AddLog(IServiceCollection services, IConfiguration configuration, CohortlyOptions options)
    {
        if (options.IsRedis)
        {
            var redis = CohortlyConfiguration.RedisConnectionString(configuration);
            services.TryAddSingleton(sp => new CohortlyRedis(redis, sp.GetRequiredService<IOptions<CohortlyOptions>>()));
            services.TryAddSingleton<IInteractionLog, RedisInteractionLog>();
        }
        else
        {
            services.TryAddSingleton<TrainingDataDirectory>();
            services.TryAddSingleton<IInteractionLog, FileInteractionLog>();
        }
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
