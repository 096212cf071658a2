using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Training;

/// <summary>One training run on the 600-user planted world, shared by the tests that only read its result.</summary>
public sealed class PlantedWorldFixture
{
    public PlantedWorldFixture()
    {
        World = TrainingWorld.Create(users: 600, items: 600, days: 30, seed: 7);
        Bundle = TrainingPipeline.Run(World.Input, new TrainingOptions());
    }

    internal TrainingWorld World { get; }

    public ModelBundle Bundle { get; }
}
