using Cohortly.Grains.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Tests;

public sealed class OutcomeOptionsTests
{
    private static CohortlyOptions Read(Dictionary<string, string?> values) =>
        CohortlyConfiguration.Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build());

    [Fact]
    public void Outcome_retentions_bind_as_time_spans_with_defaults_of_three_hours_fourteen_days_and_four_hundred_days()
    {
        var defaults = Read([]).Outcomes.Retention();
        Assert.Equal(new Modeling.Outcomes.OutcomeRetention(TimeSpan.FromHours(3), TimeSpan.FromDays(14), TimeSpan.FromDays(400)), defaults);

        var set = Read(new() { ["Cohortly:Outcomes:MinuteRetention"] = "06:00:00", ["Cohortly:Outcomes:DayRetention"] = "30.00:00:00" }).Outcomes;
        Assert.Equal(TimeSpan.FromHours(6), set.MinuteRetention);
        Assert.Equal(TimeSpan.FromDays(30), set.DayRetention);
    }

    [Theory]
    [InlineData("Cohortly:Outcomes:MinuteRetention", "00:01:00", "Cohortly:Outcomes:MinuteRetention")]
    [InlineData("Cohortly:Outcomes:DayRetention", "5000.00:00:00", "Cohortly:Outcomes:DayRetention")]
    [InlineData("Cohortly:Outcomes:HourRetention", "1.00:00:00", "Cohortly:Outcomes: MinuteRetention must not exceed HourRetention")]
    public void A_bad_outcome_retention_fails_at_start_naming_the_setting(string key, string value, string expected)
    {
        var values = new Dictionary<string, string?> { [key] = value };
        if (key.EndsWith("HourRetention", StringComparison.Ordinal))
        {
            values["Cohortly:Outcomes:MinuteRetention"] = "2.00:00:00";
        }

        var ex = Assert.Throws<OptionsValidationException>(() => Read(values));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
