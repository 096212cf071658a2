using Cohortly.Modeling.Features;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Serving;

/// <summary>A user's purchase probability from the loaded bundle's purchase model, with the features that moved it most.</summary>
/// <param name="Contributions">The largest feature contributions to the model's raw score (log-odds, before calibration).</param>
public sealed record Propensity(double Probability, TimeSpan Window, long ModelVersion, IReadOnlyList<FeatureContribution> Contributions);

/// <summary>
/// Answers "how likely is this user to buy within the model's window" from the live profile, with the same features the
/// ranker reads (<see cref="ProfileFeatures"/> at <c>now</c>). One user-level probability: the model is trained on
/// whether a user bought anything in the window, so a per-item probability would be a different model.
/// </summary>
public static class PropensityServing
{
    /// <summary>How many feature contributions the answer lists (largest magnitude first).</summary>
    public const int TopContributions = 5;

    /// <summary>The user's propensity, or null when the bundle has no purchase model.</summary>
    public static Propensity? Of(ModelBundle bundle, UserProfile profile, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(profile);
        if (bundle.Purchase is not { Model: { } model } purchase)
        {
            return null;
        }

        // On the model's clock, as assignment and the ranker measure: a user untouched since training keeps its features.
        var features = ProfileFeatures.Extract(profile, ModelClock.ProfileTime(bundle, profile, now).ToUnixTimeMilliseconds());
        var explained = model.Explain(features);
        var top = new List<FeatureContribution>(TopContributions);
        for (var f = 0; f < explained.Count && top.Count < TopContributions; f++)
        {
            if (explained[f].Contribution != 0)
            {
                top.Add(new FeatureContribution(explained[f].Feature, explained[f].Contribution));
            }
        }

        return new Propensity(model.Predict(features), purchase.Window, bundle.Version, top);
    }
}
