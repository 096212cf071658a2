using System.Text.Json;
using Cohortly.Grains.Users;

namespace Cohortly.Grains.Tests;

public sealed class RecommendationIdRingTests
{
    private static Guid Id(int n) => new(n, 0, 0, new byte[8]);

    [Fact]
    public void Ring_keeps_the_newest_ids_oldest_first()
    {
        var ring = new RecommendationIdRing(3);
        for (var i = 1; i <= 5; i++)
        {
            ring.Add(Id(i));
        }

        Assert.Equal(3, ring.Count);
        Assert.Equal([Id(3), Id(4), Id(5)], [ring[0], ring[1], ring[2]]);
        Assert.False(ring.Contains(Id(2)));
        Assert.True(ring.Contains(Id(5).ToString("N")));
    }

    [Fact]
    public void New_ids_are_distinct_version_7_ids_carrying_their_time_like_the_framework_ones()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_123);
        var reference = Guid.CreateVersion7(now).ToString("N");
        var ids = Enumerable.Range(0, 10_000).Select(_ => RecommendationIdRing.NewId(now)).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        foreach (var id in ids.Take(100))
        {
            Assert.Equal(7, id.Version);
            Assert.Equal(0b10, id.Variant >> 2);
            // The first 48 bits are the Unix milliseconds, the same prefix the framework's version 7 id has.
            Assert.Equal(reference[..12], id.ToString("N")[..12]);
        }

        Assert.True(RecommendationIdRing.NewId(now.AddMilliseconds(1)).CompareTo(ids[0]) > 0);
    }

    [Fact]
    public void Json_is_the_array_of_n_formatted_strings_the_list_of_strings_was()
    {
        var ring = new RecommendationIdRing(RecommendationIdRingConverter.Capacity);
        ring.Add(Id(1));
        ring.Add(Id(2));

        var json = JsonSerializer.Serialize(ring);

        Assert.Equal(JsonSerializer.Serialize(new[] { Id(1).ToString("N"), Id(2).ToString("N") }), json);
        var back = JsonSerializer.Deserialize<RecommendationIdRing>(json)!;
        Assert.Equal([Id(1), Id(2)], [back[0], back[1]]);
    }

    [Fact]
    public void State_stored_with_a_list_of_id_strings_loads_its_newest_ids()
    {
        var ids = Enumerable.Range(1, 25).Select(i => Id(i).ToString("N")).ToList();
        var json = JsonSerializer.Serialize(new { RecentRecommendationIds = ids });

        var state = JsonSerializer.Deserialize<UserState>(json)!;

        Assert.Equal(RecommendationIdRingConverter.Capacity, state.RecentRecommendationIds!.Count);
        Assert.Equal(Id(6), state.RecentRecommendationIds[0]);
        Assert.Equal(Id(25), state.RecentRecommendationIds[^1]);
    }

    [Fact]
    public void State_without_recommendations_stores_no_ids_and_reads_back_without_a_ring()
    {
        var json = JsonSerializer.Serialize(new UserState());

        Assert.DoesNotContain("RecentRecommendationIds", json, StringComparison.Ordinal);
        Assert.Null(JsonSerializer.Deserialize<UserState>(json)!.RecentRecommendationIds);
    }
}
