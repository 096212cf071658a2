using Cohortly.Modeling.Experiments;
using Cohortly.Modeling.Statistics;

namespace Cohortly.Modeling.Tests.Experiments;

public sealed class ExperimentAssignmentTests
{
    [Fact]
    public void Hash_matches_published_fnv1a_and_splitmix64_vectors()
    {
        Assert.Equal(0xcbf29ce484222325UL, ExperimentAssignment.Fnv1a64([]));
        Assert.Equal(0xaf63dc4c8601ec8cUL, ExperimentAssignment.Fnv1a64("a"u8));
        Assert.Equal(0x85944171f73967e8UL, ExperimentAssignment.Fnv1a64("foobar"u8));
        // SplitMix64's first output for seed 0 is the finalizer of the golden-gamma increment.
        Assert.Equal(0xe220a8397b1dcdafUL, ExperimentAssignment.SplitMix64Finalize(0x9E3779B97F4A7C15UL));
    }

    [Fact]
    public void Bucket_is_the_documented_value_in_every_process()
    {
        // Values computed by an independent Python implementation of FNV-1a 64 + SplitMix64 over "experiment\0user".
        Assert.Equal(0.676312060513679, ExperimentAssignment.Bucket("exp-1", "user-42"), 15);
        Assert.Equal(0.9147563264840975, ExperimentAssignment.Bucket("cohort-vs-global", "u-0"), 15);
        var longId = new string('x', 400);
        Assert.Equal(ExperimentAssignment.Bucket(longId, "u"), ExperimentAssignment.Bucket(longId, "u"));
    }

    [Fact]
    public void Assignment_follows_the_configured_split_by_chi_squared()
    {
        var experiment = new ExperimentDefinition
        {
            Id = "policy-ab",
            Variants = [new("global-baseline", 5), new("policy-a", 3), new("policy-b", 2)],
        };
        var counts = new long[3];
        for (var i = 0; i < 100_000; i++)
        {
            counts[experiment.IndexOf(ExperimentAssignment.Variant(experiment, "user-" + i))]++;
        }

        Assert.Equal(0.3, experiment.Share("policy-a"), 12);
        var srm = SampleRatioMismatch.Test(counts, [5.0, 3.0, 2.0]);
        Assert.True(srm.PValue > 0.001, $"split {string.Join('/', counts)} p={srm.PValue}");

        // And the raw bucket is uniform over 20 equal bins.
        var bins = new long[20];
        for (var i = 0; i < 100_000; i++)
        {
            bins[(int)(ExperimentAssignment.Bucket("lambda-ab", i.ToString(System.Globalization.CultureInfo.InvariantCulture)) * 20)]++;
        }

        var uniform = new double[20];
        Array.Fill(uniform, 1.0);
        Assert.True(SampleRatioMismatch.Test(bins, uniform).PValue > 0.001);
    }

    [Fact]
    public void A_user_keeps_their_variant_across_cohorts_and_calls_and_leaves_only_with_excluded_cohorts()
    {
        var experiment = ExperimentDefinition.CohortModelVsGlobal("cm-vs-global", cohorts: [1, 2, 5]);
        for (var i = 0; i < 200; i++)
        {
            var user = "user-" + i;
            var first = ExperimentAssignment.Assign(experiment, user, 1);
            Assert.NotNull(first);
            Assert.Equal(first, ExperimentAssignment.Assign(experiment, user, 2));
            Assert.Equal(first, ExperimentAssignment.Assign(experiment, user, 5));
            Assert.Equal(first, ExperimentAssignment.Assign(experiment with { }, user, 1));
            Assert.Null(ExperimentAssignment.Assign(experiment, user, 3));
        }
    }

    [Fact]
    public void Different_experiments_split_users_independently()
    {
        var a = ExperimentDefinition.CohortModelVsGlobal("exp-a");
        var b = ExperimentDefinition.CohortModelVsGlobal("exp-b");
        var table = new long[4];
        for (var i = 0; i < 40_000; i++)
        {
            var user = "u" + i;
            var x = a.IndexOf(ExperimentAssignment.Variant(a, user));
            var y = b.IndexOf(ExperimentAssignment.Variant(b, user));
            table[(2 * x) + y]++;
        }

        Assert.True(SampleRatioMismatch.Test(table, [1.0, 1, 1, 1]).PValue > 0.001, string.Join(',', table));
    }

    [Fact]
    public void Validation_names_the_bad_field()
    {
        var bad = new ExperimentDefinition { Id = "x", Variants = [new("a", 1), new("a", 1)] };
        Assert.Equal("Variants", Assert.Throws<ArgumentException>(bad.Validate).ParamName);
        var floor = ExperimentDefinition.CohortModelVsGlobal("x") with { BanditFloor = 0.6 };
        Assert.Equal("BanditFloor", Assert.Throws<ArgumentOutOfRangeException>(floor.Validate).ParamName);
    }
}
