using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Training;
using Cohortly.TestSupport;

namespace Cohortly.Modeling.Tests.Training;

public sealed class ModelBundleFormatTests
{
    /// <summary>
    /// Written by format 1 (policies stored by name) from a pipeline run on <c>TrainingWorld.Create(60, 40, 10, seed 3)</c>
    /// with K = 4, its policies replaced by: cohort 1 "ucb" (ε 0, λ 0.5, 0 slots), 2 "thompson" (0.05, 0.6, 1),
    /// 3 "none" (0.1, 0.7, 2), 4 "mystery" (0.15, 0.8, 3); default "epsilon-greedy" (0.25, 0.6, 3).
    /// </summary>
    private static byte[] FormatOneBundle() => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Training", "Fixtures", "bundle-format1.bin"));

    [Fact]
    public void A_bundle_of_format_1_reads_with_the_policies_it_served()
    {
        var bytes = FormatOneBundle();
        Assert.Equal(1, BitConverter.ToInt32(bytes, 4));

        var bundle = ModelBundle.FromBytes(bytes);

        Assert.Equal(1, bundle.Version);
        Assert.Equal(40, bundle.ItemIds.Count);
        Assert.Equal(60, bundle.UserIds.Count);
        Assert.Equal([1, 2, 3, 4], bundle.GroupCohortIds);
        Assert.Equal(new ServingPolicy(new Ucb1Exploration(1), 0.5, 0), bundle.PolicyOf(1));
        Assert.Equal(new ServingPolicy(new ThompsonExploration(1, 1), 0.6, 1), bundle.PolicyOf(2));
        Assert.Equal(new ServingPolicy(NoExploration.Instance, 0.7, 2), bundle.PolicyOf(3));
        // An unknown name served no exploration in format 1; it still does, now by type.
        Assert.Equal(new ServingPolicy(NoExploration.Instance, 0.8, 3), bundle.PolicyOf(4));
        Assert.Equal(new ServingPolicy(new EpsilonGreedyExploration(0.25), 0.6, 3), bundle.DefaultPolicy);
        Assert.Equal(bundle.DefaultPolicy, bundle.PolicyOf(99));
        // Its item-kNN model (format 1) has no fit recorded: it was the cosine one.
        Assert.Equal(Cohortly.Modeling.Recommenders.ItemNeighborFit.Cosine, bundle.Neighbors.Options.Fit);
        Assert.True(bundle.Neighbors.NeighborItems(0).Length > 0);
    }

    [Fact]
    public void A_format_1_bundle_is_rewritten_in_the_current_format_with_the_same_policies()
    {
        var old = ModelBundle.FromBytes(FormatOneBundle());

        var bytes = old.ToBytes();
        var copy = ModelBundle.FromBytes(bytes);

        Assert.Equal(ModelBundleFormat.FormatVersion, BitConverter.ToInt32(bytes, 4));
        Assert.Equal(7, ModelBundleFormat.FormatVersion);
        Assert.Null(copy.Tuning);
        Assert.Null(copy.Ranker);
        Assert.Null(copy.Purchase);
        Assert.Equal(old.Policies, copy.Policies);
        // Format 1 had no reference time: its runs measured ages at their wall clock.
        Assert.Equal(old.TrainedAt, old.ReferenceTime);
        Assert.Equal(old.ReferenceTime, copy.ReferenceTime);
        Assert.Equal(old.DefaultPolicy, copy.DefaultPolicy);
        Assert.Equal(old.UserCohortIds, copy.UserCohortIds);
    }

    [Fact]
    public void Every_policy_kind_round_trips_through_the_bundle()
    {
        var old = ModelBundle.FromBytes(FormatOneBundle());
        var policies = new Dictionary<int, ServingPolicy>
        {
            [1] = new(NoExploration.Instance, 1, 0),
            [2] = new(new EpsilonGreedyExploration(0.3), 0.8, 2),
            [3] = new(new Ucb1Exploration(2.5), 0.9, 1),
            [4] = new(new ThompsonExploration(2, 7), 0.4, 4),
        };
        var bundle = With(old, policies, new ServingPolicy(new ThompsonExploration(0.5, 0.5), 0.95, 1));

        var copy = ModelBundle.FromBytes(bundle.ToBytes());

        Assert.Equal(policies, copy.Policies);
        Assert.Equal(bundle.DefaultPolicy, copy.DefaultPolicy);
    }

    [Fact]
    public void An_unknown_format_version_is_refused()
    {
        var bytes = FormatOneBundle();
        var unknown = ModelBundleFormat.FormatVersion + 1;
        BitConverter.TryWriteBytes(bytes.AsSpan(4), unknown);

        var e = Assert.Throws<InvalidDataException>(() => ModelBundle.FromBytes(bytes));

        Assert.Contains($"format version {unknown}", e.Message);
    }

    [Fact]
    public void A_bundle_of_format_3_without_ranker_or_purchase_sections_still_reads()
    {
        // Format 3 is format 6 without the four sections before the end marker; with none of the models they are four
        // "absent" flags, so cutting them out and writing 3 as the version gives exactly what format 3 wrote.
        var current = ModelBundle.FromBytes(FormatOneBundle()).ToBytes();
        Assert.Equal(0, current[^5]);
        Assert.Equal(0, current[^6]);
        Assert.Equal(0, current[^7]);
        Assert.Equal(0, current[^8]);
        var formatThree = new byte[current.Length - 4];
        current.AsSpan(0, current.Length - 8).CopyTo(formatThree);
        current.AsSpan(current.Length - 4).CopyTo(formatThree.AsSpan(formatThree.Length - 4));
        BitConverter.TryWriteBytes(formatThree.AsSpan(4), 3);

        var bundle = ModelBundle.FromBytes(formatThree);

        Assert.Equal(ModelBundle.FromBytes(FormatOneBundle()).ReferenceTime, bundle.ReferenceTime);
        Assert.Null(bundle.Ranker);
        Assert.Null(bundle.Purchase);
        Assert.Equal(ModelBundle.FromBytes(FormatOneBundle()).Policies, bundle.Policies);
    }

    [Fact]
    public void A_bundle_of_format_4_without_repeat_cycles_still_reads_and_serves_no_buy_again()
    {
        // Format 4 is format 6 without the repeat-cycles and tuning flags before the end marker.
        var bundle = ModelBundle.FromBytes(OlderFormat(4, absentFlags: 2));

        Assert.Null(bundle.Repeats);
        Assert.Equal(ModelBundle.FromBytes(FormatOneBundle()).Policies, bundle.Policies);
    }

    [Fact]
    public void A_bundle_of_format_5_without_a_tuning_report_still_reads()
    {
        // Format 5 is format 6 without the tuning flag before the end marker.
        var bundle = ModelBundle.FromBytes(OlderFormat(5, absentFlags: 1));

        Assert.Null(bundle.Tuning);
        Assert.Equal(ModelBundle.FromBytes(FormatOneBundle()).Policies, bundle.Policies);
    }

    [Fact]
    public void A_bundle_of_format_6_still_reads_with_its_tuning_report_section()
    {
        // Format 6 has format 7's layout (7 only marks that the item-item model may be EASE-fitted, item-kNN format 2).
        var bundle = ModelBundle.FromBytes(OlderFormat(6, absentFlags: 0));

        Assert.Null(bundle.Tuning);
        Assert.Equal(Cohortly.Modeling.Recommenders.ItemNeighborFit.Cosine, bundle.Neighbors.Options.Fit);
        Assert.Equal(ModelBundle.FromBytes(FormatOneBundle()).Policies, bundle.Policies);
    }

    /// <summary>
    /// Today's bytes of the format-1 fixture rewritten as an older <paramref name="format"/>: the last
    /// <paramref name="absentFlags"/> flag bytes before the 4-byte end marker (each 0: nothing follows them) are dropped.
    /// </summary>
    private static byte[] OlderFormat(int format, int absentFlags)
    {
        var current = ModelBundle.FromBytes(FormatOneBundle()).ToBytes();
        for (var i = 0; i < absentFlags; i++)
        {
            Assert.Equal(0, current[^(5 + i)]);
        }

        var older = new byte[current.Length - absentFlags];
        current.AsSpan(0, current.Length - 4 - absentFlags).CopyTo(older);
        current.AsSpan(current.Length - 4).CopyTo(older.AsSpan(older.Length - 4));
        BitConverter.TryWriteBytes(older.AsSpan(4), format);
        return older;
    }

    private static ModelBundle With(ModelBundle b, IReadOnlyDictionary<int, ServingPolicy> policies, ServingPolicy defaultPolicy) =>
        ModelBundleCopy.With(b, policies, defaultPolicy);
}
