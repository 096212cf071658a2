using Cohortly.Grains.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Tests;

public sealed class OptionsTests
{
    private static IConfiguration Config(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    [Fact]
    public void Durations_bind_as_time_spans()
    {
        var options = CohortlyConfiguration.Read(Config(new()
        {
            ["Cohortly:Users:WriteBehind"] = "00:00:03",
            ["Cohortly:Streams:Retention"] = "2.00:00:00",
            ["Cohortly:Streams:Poll"] = "00:00:00.050",
            ["Cohortly:Training:ModelPoll"] = "00:00:00.250",
        }));

        Assert.Equal(TimeSpan.FromSeconds(3), options.Users.WriteBehind);
        Assert.Equal(TimeSpan.FromDays(2), options.Streams.Retention);
        Assert.Equal(TimeSpan.FromMilliseconds(50), options.Streams.Poll);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.Training.ModelPoll);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Flush);
    }

    [Fact]
    public void A_duration_out_of_bounds_fails_naming_the_setting()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => CohortlyConfiguration.Read(Config(new() { ["Cohortly:Users:WriteBehind"] = "00:00:00.500" })));

        Assert.Contains("Cohortly:Users:WriteBehind", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_old_unit_suffixed_key_fails_naming_its_replacement_instead_of_being_ignored()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => CohortlyConfiguration.Read(Config(new() { ["Cohortly:Users:WriteBehindSeconds"] = "1" })));

        Assert.Contains("Cohortly:Users:WriteBehindSeconds", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Cohortly:Users:WriteBehind,", ex.Message, StringComparison.Ordinal);
    }
}
