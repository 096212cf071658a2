using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Serving;

public sealed class ProvisionalCohortModelTests
{
    /// <summary>Cohort 7 (largest) is mostly young and mobile, cohort 3 mostly in DE on desktop, cohort 12 is small and mixed.</summary>
    private static List<ProvisionalExample> Examples(int seed = 3)
    {
        var random = new Random(seed);
        var examples = new List<ProvisionalExample>();
        for (var u = 0; u < 300; u++)
        {
            var age = random.NextDouble() < 0.8 ? "18-24" : "45-54";
            var country = random.NextDouble() < 0.5 ? "FR" : "DE";
            examples.Add(new(new Dictionary<string, string> { ["age"] = age, ["country"] = country }, random.NextDouble() < 0.8 ? "mobile" : "desktop", 7));
        }

        for (var u = 0; u < 200; u++)
        {
            var age = random.NextDouble() < 0.5 ? "18-24" : "45-54";
            var country = random.NextDouble() < 0.9 ? "DE" : "FR";
            examples.Add(new(new Dictionary<string, string> { ["age"] = age, ["country"] = country }, random.NextDouble() < 0.9 ? "desktop" : "mobile", 3));
        }

        for (var u = 0; u < 40; u++)
        {
            examples.Add(new(new Dictionary<string, string> { ["age"] = "65+" }, null, 12));
        }

        return examples;
    }

    [Fact]
    public void Attributes_and_device_pick_the_cohort_they_are_typical_of()
    {
        var model = ProvisionalCohortModel.Fit(Examples());

        Assert.Equal(7, model.Predict(new Dictionary<string, string> { ["age"] = "18-24", ["country"] = "FR" }, "mobile"));
        Assert.Equal(3, model.Predict(new Dictionary<string, string> { ["age"] = "45-54", ["country"] = "DE" }, "desktop"));
        Assert.Equal(3, model.Predict(new Dictionary<string, string> { ["country"] = "DE" }, "desktop"));
        Assert.Equal(12, model.Predict(new Dictionary<string, string> { ["age"] = "65+" }, null));
    }

    [Fact]
    public void Without_any_known_attribute_value_the_largest_cohort_is_predicted()
    {
        var model = ProvisionalCohortModel.Fit(Examples());

        Assert.Equal(7, model.Predict(null, null));
        Assert.Equal(7, model.Predict(new Dictionary<string, string>(), null));
        Assert.Equal(7, model.Predict(new Dictionary<string, string> { ["country"] = "JP", ["plan"] = "gold" }, "tv"));
    }

    [Fact]
    public void A_model_without_cohorts_predicts_nothing()
    {
        var model = ProvisionalCohortModel.Fit([]);

        Assert.Null(model.Predict(new Dictionary<string, string> { ["age"] = "18-24" }, "mobile"));
    }

    [Fact]
    public void An_attribute_named_device_does_not_count_as_the_request_device()
    {
        var examples = new List<ProvisionalExample>();
        for (var u = 0; u < 30; u++)
        {
            examples.Add(new(new Dictionary<string, string>(), "mobile", 1));
        }

        for (var u = 0; u < 20; u++)
        {
            examples.Add(new(new Dictionary<string, string> { ["device"] = "mobile" }, null, 2));
        }

        var model = ProvisionalCohortModel.Fit(examples);

        Assert.Equal(1, model.Predict(null, "mobile"));
        Assert.Equal(2, model.Predict(new Dictionary<string, string> { ["device"] = "mobile" }, null));
    }

    [Fact]
    public void Written_model_reads_back_with_the_same_predictions()
    {
        var model = ProvisionalCohortModel.Fit(Examples());
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            model.Write(writer);
        }

        var bytes = stream.ToArray();
        using var reader = new BinaryReader(new MemoryStream(bytes));
        var copy = ProvisionalCohortModel.Read(reader);

        Assert.Equal(model.CohortIds, copy.CohortIds);
        var random = new Random(9);
        string[] ages = ["18-24", "45-54", "65+", "30-34"];
        string[] countries = ["FR", "DE", "JP"];
        string?[] devices = ["mobile", "desktop", null];
        for (var k = 0; k < 50; k++)
        {
            var attributes = new Dictionary<string, string> { ["age"] = ages[random.Next(ages.Length)], ["country"] = countries[random.Next(countries.Length)] };
            var device = devices[random.Next(devices.Length)];
            Assert.Equal(model.Predict(attributes, device), copy.Predict(attributes, device));
        }

        using var again = new MemoryStream();
        using (var writer = new BinaryWriter(again))
        {
            copy.Write(writer);
        }

        Assert.Equal(bytes, again.ToArray());
    }
}
