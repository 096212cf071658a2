using Cohortly.Modeling.Training;

namespace Cohortly.Grains.Training;

/// <summary>The CPU part of a run, behind a seam so tests can make a run fail or finish differently.</summary>
public interface IModelTrainer
{
    /// <summary>Runs synchronously on the caller's thread (the training grain calls it on the thread pool).</summary>
    ModelBundle Train(TrainingInput input, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken);
}

/// <summary>The production trainer: <see cref="TrainingPipeline.Run"/> with the Cohortly:Training options.</summary>
public sealed class PipelineModelTrainer(TrainingOptions options) : IModelTrainer
{
    public ModelBundle Train(TrainingInput input, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken) =>
        TrainingPipeline.Run(input, options, progress, cancellationToken);
}
