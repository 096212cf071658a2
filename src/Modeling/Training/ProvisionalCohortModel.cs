namespace Cohortly.Modeling.Training;

/// <summary>
/// Cohort for a user known only by attributes (age band, country, signup channel, ...) and request context (device):
/// a smoothed naive Bayes over attribute values learned from trained users who have them, falling back to the
/// largest cohort. Null when the bundle has no cohorts.
/// </summary>
public sealed class ProvisionalCohortModel
{
    public int? Predict(IReadOnlyDictionary<string, string>? attributes, string? device) => throw new NotImplementedException();

    public void Write(BinaryWriter writer) => throw new NotImplementedException();

    public static ProvisionalCohortModel Read(BinaryReader reader) => throw new NotImplementedException();
}
