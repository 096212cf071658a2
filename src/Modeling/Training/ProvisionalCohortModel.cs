namespace Cohortly.Modeling.Training;

/// <summary>One trained user: attributes, most used device, and the cohort training put them in.</summary>
public sealed record ProvisionalExample(IReadOnlyDictionary<string, string> Attributes, string? Device, int CohortId);

/// <summary>
/// Cohort for a user known only by attributes (age band, country, signup channel, ...) and request context (device):
/// a smoothed naive Bayes over attribute values learned from trained users, falling back to the largest cohort.
/// </summary>
public sealed class ProvisionalCohortModel
{
    public static ProvisionalCohortModel Fit(IReadOnlyList<ProvisionalExample> examples) => throw new NotImplementedException();

    /// <summary>Most likely cohort id, or null when the model knows no cohorts.</summary>
    public int? Predict(IReadOnlyDictionary<string, string>? attributes, string? device) => throw new NotImplementedException();

    public void Write(BinaryWriter writer) => throw new NotImplementedException();

    public static ProvisionalCohortModel Read(BinaryReader reader) => throw new NotImplementedException();
}
