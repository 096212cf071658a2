using System.Text.Json;
using Cohortly.Modeling.Exploration;
using Cohortly.Modeling.Training;

namespace Cohortly.Modeling.Tests.Exploration;

public sealed class ServingPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    public static TheoryData<ServingPolicy> EveryKind =>
    [
        new ServingPolicy(NoExploration.Instance, 1, 0),
        new ServingPolicy(new EpsilonGreedyExploration(0.25), 0.8, 2),
        new ServingPolicy(new Ucb1Exploration(0.5), 0.9, 1),
        new ServingPolicy(new ThompsonExploration(2, 5), 0.7, 3),
    ];

    [Fact]
    public void Each_kind_builds_its_own_exploration_policy_with_its_parameters()
    {
        var epsilon = Assert.IsType<EpsilonGreedyPolicy>(new ServingPolicy(new EpsilonGreedyExploration(0.3), 1, 1).CreateExplorer(10));
        var ucb = Assert.IsType<Ucb1Policy>(new ServingPolicy(new Ucb1Exploration(2.5), 1, 1).CreateExplorer(10));
        var thompson = Assert.IsType<ThompsonSamplingPolicy>(new ServingPolicy(new ThompsonExploration(3, 4), 1, 1).CreateExplorer(10));

        Assert.Equal(0.3, epsilon.Epsilon);
        Assert.Equal(2.5, ucb.ExplorationWeight);
        Assert.Equal((3.0, 4.0), (thompson.PriorAlpha, thompson.PriorBeta));
        Assert.Null(new ServingPolicy(NoExploration.Instance, 1, 3).CreateExplorer(10));
        Assert.Null(new ServingPolicy(new EpsilonGreedyExploration(1), 1, 0).CreateExplorer(10));
    }

    [Theory]
    [MemberData(nameof(EveryKind))]
    public void Every_valid_kind_validates_clean(ServingPolicy policy) => Assert.Empty(policy.Validate());

    [Fact]
    public void Exploration_fills_only_the_last_slots_of_the_list()
    {
        var explorer = new ServingPolicy(new EpsilonGreedyExploration(1), 1, 2).CreateExplorer(6)!;
        var candidates = Enumerable.Range(0, 12).Select(i => new ArmCandidate($"i{i}", 100 - i, 0, 0, Now)).ToArray();

        var result = explorer.Rerank(candidates, 6, Now, new Random(3));

        Assert.Equal([4, 5], result.ExploredPositions);
        Assert.Equal(["i0", "i1", "i2", "i3"], result.Ranking.Take(4).Select(r => r.ArmId));
    }

    [Theory]
    [InlineData(-0.1, "exploration.epsilon")]
    [InlineData(1.5, "exploration.epsilon")]
    [InlineData(double.NaN, "exploration.epsilon")]
    public void Epsilon_outside_0_1_is_named(double epsilon, string field) =>
        Assert.Equal([field], Fields(new ServingPolicy(new EpsilonGreedyExploration(epsilon), 0.9, 1).Validate()));

    [Fact]
    public void Each_out_of_range_parameter_is_named_by_its_path()
    {
        Assert.Equal(["exploration.constant"], Fields(new ServingPolicy(new Ucb1Exploration(-1), 0.9, 1).Validate()));
        Assert.Equal(["exploration.constant"], Fields(new ServingPolicy(new Ucb1Exploration(double.PositiveInfinity), 0.9, 1).Validate()));
        Assert.Equal(["exploration.alpha", "exploration.beta"], Fields(new ServingPolicy(new ThompsonExploration(0, -2), 0.9, 1).Validate()));
        Assert.Equal(["diversityLambda"], Fields(new ServingPolicy(NoExploration.Instance, 2, 1).Validate()));
        Assert.Equal(["explorationSlots"], Fields(new ServingPolicy(NoExploration.Instance, 1, -1).Validate()));
        Assert.Equal(["explorationSlots"], Fields(new ServingPolicy(NoExploration.Instance, 1, ServingPolicy.MaxExplorationSlots + 1).Validate()));
        var e = Assert.Throws<ArgumentException>(() => new ServingPolicy(new Ucb1Exploration(-1), 0.9, 1).EnsureValid());
        Assert.Contains("exploration.constant", e.Message);
    }

    [Theory]
    [MemberData(nameof(EveryKind))]
    public void Json_written_by_System_Text_Json_reads_back_equal(ServingPolicy policy)
    {
        foreach (var options in new[] { JsonSerializerOptions.Web, JsonSerializerOptions.Default })
        {
            var json = JsonSerializer.SerializeToElement(policy, options);

            Assert.Equal(policy, ServingPolicyJson.Read(json, out var errors));
            Assert.Empty(errors);
            Assert.Equal(policy, JsonSerializer.Deserialize<ServingPolicy>(json, options));
        }
    }

    [Fact]
    public void The_documented_json_form_reads_with_the_kind_anywhere()
    {
        var written = JsonSerializer.Serialize(new ServingPolicy(new ThompsonExploration(1, 1), 0.9, 1), JsonSerializerOptions.Web);
        var reordered = """{"explorationSlots":1,"exploration":{"beta":1,"alpha":1,"kind":"thompson"},"DiversityLambda":0.9}"""u8;

        Assert.Equal("""{"exploration":{"kind":"thompson","alpha":1,"beta":1},"diversityLambda":0.9,"explorationSlots":1}""", written);
        Assert.Equal(new ServingPolicy(new ThompsonExploration(1, 1), 0.9, 1), ServingPolicyJson.Read(reordered, out _));
        Assert.Equal(new ServingPolicy(new Ucb1Exploration(1), 0.5, 0), ServingPolicyJson.Read("""{"exploration":{"kind":"ucb1"},"diversityLambda":0.5,"explorationSlots":0}"""u8, out _));
    }

    [Theory]
    [InlineData("""{"exploration":{"kind":"ucb"},"diversityLambda":0.9,"explorationSlots":1}""", "exploration.kind")]
    [InlineData("""{"exploration":{"epsilon":0.1},"diversityLambda":0.9,"explorationSlots":1}""", "exploration.kind")]
    [InlineData("""{"exploration":{"kind":3},"diversityLambda":0.9,"explorationSlots":1}""", "exploration.kind")]
    [InlineData("""{"exploration":{"kind":"ucb1","constant":-1},"diversityLambda":0.9,"explorationSlots":1}""", "exploration.constant")]
    [InlineData("""{"exploration":{"kind":"epsilon-greedy","epsilon":"lots"},"diversityLambda":0.9,"explorationSlots":1}""", "exploration.epsilon")]
    [InlineData("""{"exploration":{"kind":"thompson","epsilon":0.1},"diversityLambda":0.9,"explorationSlots":1}""", "exploration.epsilon")]
    [InlineData("""{"exploration":{"kind":"none"},"diversityLambda":2,"explorationSlots":1}""", "diversityLambda")]
    [InlineData("""{"exploration":{"kind":"none"},"diversityLambda":0.9,"explorationSlots":1.5}""", "explorationSlots")]
    [InlineData("""{"exploration":{"kind":"none"},"diversityLambda":0.9}""", "explorationSlots")]
    [InlineData("""{"exploration":"thompson","diversityLambda":0.9,"explorationSlots":1}""", "exploration")]
    [InlineData("""{"exploration":{"kind":"none"},"diversityLambda":0.9,"explorationSlots":1,"epsilon":0.2}""", "epsilon")]
    [InlineData("""[1,2]""", "body")]
    [InlineData("""{"exploration":""", "body")]
    public void Bad_json_is_rejected_with_the_field_named(string json, string field)
    {
        var policy = ServingPolicyJson.Read(System.Text.Encoding.UTF8.GetBytes(json), out var errors);

        Assert.Null(policy);
        Assert.Contains(field, Fields(errors));
        Assert.All(errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Message)));
    }

    [Fact]
    public void Several_bad_fields_are_all_reported()
    {
        var policy = ServingPolicyJson.Read("""{"exploration":{"kind":"thompson","alpha":0},"diversityLambda":-1,"explorationSlots":99}"""u8, out var errors);

        Assert.Null(policy);
        Assert.Equal(["exploration.alpha", "diversityLambda", "explorationSlots"], Fields(errors));
    }

    private static string[] Fields(IReadOnlyList<PolicyFieldError> errors) => [.. errors.Select(e => e.Field)];
}
