using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Serving;

/// <summary>
/// The serving path on a loaded <see cref="ModelBundle"/>: candidates → the cohort's ranker → filters → context re-rank
/// → diversity (MMR) → exploration (the cohort's policy) → items with reasons. Pure and thread-safe.
/// </summary>
public static class RecommendationPipeline
{
    public static ServingResult Recommend(ModelBundle bundle, ServingRequest request) => throw new NotImplementedException();

    /// <summary>Items most similar to <paramref name="itemId"/>, or null when the bundle does not know it.</summary>
    public static IReadOnlyList<ServedItem>? Similar(ModelBundle bundle, string itemId, int count, Func<string, bool>? isAvailable) =>
        throw new NotImplementedException();
}
