using Microsoft.Extensions.Logging.Abstractions;
using Orleans.LeaseProviders;

namespace Cohortly.Streaming.Redis.Tests;

/// <summary>The Redis lease provider behind the even partition balancer: one holder per lease, tokens checked.</summary>
[Collection(RedisCollection.Name)]
public sealed class QueueLeaseProviderTests(RedisFixture redis)
{
    private RedisQueueLeaseProvider Provider(string prefix) =>
        new(new RedisStreamConnection("lease-test", redis.Server.Multiplexer, NullLogger.Instance), prefix);

    [Fact]
    public async Task A_lease_has_one_holder_until_released_and_renewal_needs_the_holders_token()
    {
        var prefix = "leases-" + Guid.NewGuid().ToString("N");
        var silo1 = Provider(prefix);
        var silo2 = Provider(prefix);
        var request = new LeaseRequest("queue-3", TimeSpan.FromSeconds(30));

        var first = await silo1.Acquire("c", [request]);
        var second = await silo2.Acquire("c", [request, new LeaseRequest("queue-4", TimeSpan.FromSeconds(30))]);

        Assert.Equal(ResponseCode.OK, first[0].StatusCode);
        Assert.Equal(ResponseCode.LeaseNotAvailable, second[0].StatusCode);
        Assert.Equal(ResponseCode.OK, second[1].StatusCode);

        var stolen = new AcquiredLease("queue-3", TimeSpan.FromSeconds(30), "not-the-token", DateTime.UtcNow);
        var renewals = await silo2.Renew("c", [stolen, second[1].AcquiredLease!]);
        Assert.Equal(ResponseCode.InvalidToken, renewals[0].StatusCode);
        Assert.Equal(ResponseCode.OK, renewals[1].StatusCode);
        Assert.Equal(ResponseCode.OK, (await silo1.Renew("c", [first[0].AcquiredLease!]))[0].StatusCode);

        // A release with a wrong token leaves the lease where it is; the holder's release frees it.
        await silo2.Release("c", [stolen]);
        Assert.Equal(ResponseCode.LeaseNotAvailable, (await silo2.Acquire("c", [request]))[0].StatusCode);
        await silo1.Release("c", [first[0].AcquiredLease!]);
        Assert.Equal(ResponseCode.OK, (await silo2.Acquire("c", [request]))[0].StatusCode);
        Assert.Equal(ResponseCode.InvalidToken, (await silo1.Renew("c", [first[0].AcquiredLease!]))[0].StatusCode);
    }

    [Fact]
    public async Task A_lease_nobody_renews_expires_and_another_silo_takes_it()
    {
        var prefix = "leases-" + Guid.NewGuid().ToString("N");
        var request = new LeaseRequest("queue-0", TimeSpan.FromMilliseconds(300));
        Assert.Equal(ResponseCode.OK, (await Provider(prefix).Acquire("c", [request]))[0].StatusCode);

        var other = Provider(prefix);
        Assert.Equal(ResponseCode.LeaseNotAvailable, (await other.Acquire("c", [request]))[0].StatusCode);
        await Eventually.True(
            async () => (await other.Acquire("c", [request]))[0].StatusCode == ResponseCode.OK,
            "the unrenewed lease expires and is taken",
            TimeSpan.FromSeconds(5));
    }
}
