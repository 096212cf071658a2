using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Users;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Storage;

namespace Cohortly.Grains.Tests;

public sealed class DeflatedGrainStorageSerializerTests
{
    private static readonly SystemTextJsonGrainStorageSerializer Json = new(Options.Create(new SystemTextJsonGrainStorageSerializerOptions()));

    private static UserState State()
    {
        var state = new UserState();
        var item = new ItemInfo("i1", ["shoes"], 20);
        for (var i = 0; i < 5; i++)
        {
            state.Seen.TryAdd($"e{i}", DateTimeOffset.UnixEpoch.AddDays(20_000), TimeSpan.FromDays(1));
            state.Profile.Apply(new Interaction("u1", $"i{i}", InteractionType.View, null, 1_700_000_000_000 + i * 30_000, "web"), item, ProfileOptions.Default);
        }

        return state;
    }

    [Fact]
    public void State_round_trips_and_is_smaller_than_its_json()
    {
        var serializer = new DeflatedGrainStorageSerializer(Json);
        var state = State();

        var stored = serializer.Serialize(state);
        var back = serializer.Deserialize<UserState>(stored)!;

        Assert.True(stored.ToMemory().Length < Json.Serialize(state).ToMemory().Length * 2 / 3, "deflated is well under the JSON size");
        Assert.Equal(Json.Serialize(state).ToString(), Json.Serialize(back).ToString());
        Assert.Equal(5, back.Profile.TotalEvents);
    }

    [Fact]
    public void Plain_json_written_before_still_loads()
    {
        var serializer = new DeflatedGrainStorageSerializer(Json);
        var plain = Json.Serialize(State());

        var back = serializer.Deserialize<UserState>(plain)!;

        Assert.Equal(5, back.Profile.TotalEvents);
        Assert.False(back.Seen.TryAdd("e3", DateTimeOffset.UnixEpoch.AddDays(20_000), TimeSpan.FromDays(1)));
    }
}
