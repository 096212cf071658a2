using System.Text.Json;
using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Users;
using Cohortly.Streaming.Redis;

namespace Cohortly.Grains.Tests;

public sealed class UserStateCompatibilityTests
{
    [Fact]
    public void A_state_json_in_the_format_the_grain_stored_before_loads_into_the_modeling_state()
    {
        // The members and member types of the grain's former UserState, serialized as storage did.
        var profile = new UserProfile();
        profile.Apply(new Interaction("u1", "i1", InteractionType.Purchase, 12.5, 1_700_000_000_000, "web"), new ItemInfo("i1", ["shoes"], 12.5), ProfileOptions.Default);
        var seen = new EventDeduplicator();
        seen.TryAdd("e1", DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), TimeSpan.FromDays(1));
        var since = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        var old = new
        {
            Profile = profile,
            Seen = seen,
            DuplicatesIgnored = 3L,
            LastApplied = (RedisStreamPosition?)new RedisStreamPosition(new RedisEntryId(1_700_000_000_123, 7), 2),
            CohortId = (int?)4,
            SegmentationVersion = 9L,
            CohortSince = (DateTimeOffset?)since,
            Transitions = new[] { new CohortTransition(null, 4, since, 9) },
            Attributes = new Dictionary<string, string> { ["plan"] = "gold" },
            RecentRecommendationIds = new[] { "0190f3a2c1d24b7e8a9b0c1d2e3f4a5b" },
        };

        var state = JsonSerializer.Deserialize<UserState>(JsonSerializer.Serialize(old))!;

        Assert.Equal(1, state.Profile.Count(InteractionType.Purchase));
        Assert.Equal(12.5, state.Profile.Monetary);
        Assert.False(state.Seen.TryAdd("e1", DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_060_000), TimeSpan.FromDays(1)));
        Assert.Equal(3, state.DuplicatesIgnored);
        Assert.Equal(new LogPosition(1_700_000_000_123, 7, 2), state.LastApplied);
        Assert.Equal(4, state.CohortId);
        Assert.Equal(9, state.SegmentationVersion);
        Assert.Equal(since, state.CohortSince);
        Assert.Equal(new CohortChange(null, 4, since, 9), Assert.Single(state.Transitions));
        Assert.Equal("gold", state.Attributes!["plan"]);
    }
}
