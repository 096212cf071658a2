namespace Cohortly.Modeling.Recommenders;

internal static class Parallelism
{
    public static ParallelOptions Options(int maxDegree, CancellationToken cancellationToken) => new()
    {
        MaxDegreeOfParallelism = maxDegree > 0 ? maxDegree : Environment.ProcessorCount,
        CancellationToken = cancellationToken,
    };
}
