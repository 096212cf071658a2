namespace Cohortly.Modeling.Recommenders;

/// <summary>
/// A trainable scorer of every item. Indices are those of the training data's catalog. Scoring methods only read the
/// fitted state, so one fitted model may score from many threads at once.
/// </summary>
public interface IRecommender
{
    /// <summary>Artifact tag written by <see cref="RecommenderSerializer"/> (e.g. "ials").</summary>
    string Kind { get; }

    /// <summary>Number of items scored (the length every score span must have); 0 before fitting.</summary>
    int ItemCount { get; }

    /// <summary>Number of users known at training time; <see cref="Score"/> accepts 0..UserCount-1.</summary>
    int UserCount { get; }

    void Fit(TrainingData data, Random random, CancellationToken cancellationToken = default);

    /// <summary>Scores every item for a user of the training data (higher is better; seen items are not removed).</summary>
    void Score(int user, Span<float> scores);

    /// <summary>
    /// Scores every item for someone known only by a handful of recent items (serving without retraining: a new user,
    /// or a known user whose latest events came after training).
    /// </summary>
    void ScoreItems(ReadOnlySpan<int> recentItems, Span<float> scores);

    /// <summary>Writes the fitted state; read back with the kind's reader in <see cref="RecommenderSerializer"/>.</summary>
    void Write(BinaryWriter writer);
}
