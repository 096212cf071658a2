using System.Reflection;
using Cohortly.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Cloning;

namespace Cohortly.Grains.Tests;

/// <summary>
/// Orleans deep-copies the arguments and the result of every grain call that stays in the process (the embedded
/// gateway calls its own silo) unless the type is <c>[Immutable]</c>. The per-request types never change after they
/// cross a grain call (docs/style.md, Hot paths), so they carry the attribute and the copy is skipped: a copy of a
/// response would be one more object graph per request for the young generation.
/// </summary>
public sealed class PerRequestContractCopyTests
{
    /// <summary>The calls the gateway makes per request: profile, recommendations, propensity, similar items.</summary>
    private static readonly MethodInfo[] PerRequestCalls =
    [
        typeof(IUserGrain).GetMethod(nameof(IUserGrain.GetProfile))!,
        typeof(IUserGrain).GetMethod(nameof(IUserGrain.Recommend))!,
        typeof(IUserGrain).GetMethod(nameof(IUserGrain.GetPropensity))!,
        typeof(IItemSimilarityGrain).GetMethod(nameof(IItemSimilarityGrain.Similar))!,
    ];

    [Fact]
    public void Arguments_and_results_of_the_per_request_calls_are_marked_immutable()
    {
        var checkedTypes = new List<Type>();
        foreach (var method in PerRequestCalls)
        {
            var types = method.GetParameters().Select(p => p.ParameterType).Append(method.ReturnType.GetGenericArguments()[0]);
            foreach (var type in types)
            {
                if (type.IsPrimitive || type == typeof(string))
                {
                    continue;
                }

                Assert.True(type.GetCustomAttribute<ImmutableAttribute>() is not null, $"{method.DeclaringType!.Name}.{method.Name} passes {type.Name}, which is not [Immutable]: Orleans deep-copies it on every in-process call");
                checkedTypes.Add(type);
            }
        }

        Assert.Contains(typeof(RecommendationRequest), checkedTypes);
        Assert.Contains(typeof(RecommendationResponse), checkedTypes);
        Assert.Contains(typeof(UserProfileView), checkedTypes);
        Assert.Contains(typeof(PropensityView), checkedTypes);
        Assert.Contains(typeof(SimilarItemsResponse), checkedTypes);
    }

    [Fact]
    public void Orleans_copier_hands_back_the_same_request_and_response_objects()
    {
        using var services = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(RecommendationResponse).Assembly)).BuildServiceProvider();
        var copier = services.GetRequiredService<DeepCopier>();
        var at = new DateTimeOffset(2026, 12, 5, 15, 0, 0, TimeSpan.Zero);

        var request = new RecommendationRequest(10, Explain: true, Device: "mobile", IncludeCategories: ["books"]) { Context = new Dictionary<string, string> { ["country"] = "de" }, BuyAgainSlots = 2 };
        var response = new RecommendationResponse(
            "r1",
            "u1",
            3,
            "frequent buyers",
            "blend",
            [new RecommendedItem("i1", 0.5, "because", Contributions: [new ScoreContribution("ials", 0.4)]) { Rules = ["pin-1"] }],
            ModelVersion: 7);
        var profile = new UserProfileView
        {
            UserId = "u1",
            Counts = new Dictionary<string, long> { ["view"] = 2 },
            CategoryAffinity = new Dictionary<string, double> { ["books"] = 0.7 },
            Devices = new Dictionary<string, int> { ["web"] = 2 },
            HourOfDay = new int[24],
            RecentItems = [new RecentItemView("i1", "view", at)],
            Cohort = new CohortMembership(3, "frequent buyers", 4, at),
            Transitions = [new CohortTransition(null, 3, at, 4)],
            Features = new Dictionary<string, float> { ["recency_days"] = 1 },
        };

        Assert.Same(request, copier.Copy(request));
        Assert.Same(response, copier.Copy(response));
        Assert.Same(profile, copier.Copy(profile));

        // The check can fail: what is not immutable, such as the profile's own dictionary, is copied into a new object.
        Assert.NotSame(profile.Counts, copier.Copy(profile.Counts));
    }
}
