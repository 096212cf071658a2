using Cohortly.Contracts;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Serving;
using Cohortly.Modeling.Training;

namespace Cohortly.Grains.Users;

/// <summary>The user grain's propensity answer: the loaded bundle's purchase model on the live profile (Modeling does the work).</summary>
internal static class PropensityViews
{
    public static PropensityView Of(string userId, UserProfile profile, ModelBundle? bundle, DateTimeOffset now)
    {
        if (profile.TotalEvents == 0)
        {
            return new PropensityView(userId, PropensityStatus.UnknownUser, double.NaN, 0, bundle?.Version ?? 0, [], "no events have been seen for this user");
        }

        if (bundle is null)
        {
            return new PropensityView(userId, PropensityStatus.NoModel, double.NaN, 0, 0, [], "no model version is loaded yet");
        }

        if (PropensityServing.Of(bundle, profile, now) is not { } p)
        {
            var why = bundle.Purchase?.Reason ?? "the version was trained before purchase models existed";
            return new PropensityView(userId, PropensityStatus.NoModel, double.NaN, 0, bundle.Version, [], $"model version {bundle.Version} has no purchase model: {why}");
        }

        var contributions = new List<ScoreContribution>(p.Contributions.Count);
        foreach (var c in p.Contributions)
        {
            contributions.Add(new ScoreContribution(c.Feature, Math.Round(c.Value, 6)));
        }

        return new PropensityView(userId, PropensityStatus.Available, Math.Round(p.Probability, 6), p.Window.TotalDays, p.ModelVersion, contributions);
    }
}
