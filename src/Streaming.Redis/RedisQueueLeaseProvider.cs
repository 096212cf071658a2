using Orleans.LeaseProviders;
using StackExchange.Redis;

namespace Cohortly.Streaming.Redis;

/// <summary>
/// Orleans' <see cref="ILeaseProvider"/> on Redis keys, for <c>LeaseBasedQueueBalancer</c>: which silo pulls which
/// partition. A lease is a key holding a random token with a time to live; acquiring is <c>SET NX PX</c>, renewing and
/// releasing check the token first (one script per call for all leases of the call).
/// </summary>
/// <remarks>
/// These balancer leases decide which silo <em>runs a pulling agent</em> for a partition; the receiver's own lease
/// (<see cref="RedisStreamKeys.Lease"/>) still fences the reads, so two silos never read one partition's new entries
/// even while the balancer hands a partition over.
/// </remarks>
internal sealed class RedisQueueLeaseProvider(RedisStreamConnection connection, string keyPrefix) : ILeaseProvider
{
    private const string RenewScript = """
        local result = {}
        for i = 1, #KEYS do
          if redis.call('GET', KEYS[i]) == ARGV[2 * i - 1] then
            redis.call('PEXPIRE', KEYS[i], ARGV[2 * i])
            result[i] = 1
          else
            result[i] = 0
          end
        end
        return result
        """;

    private const string ReleaseScript = """
        for i = 1, #KEYS do
          if redis.call('GET', KEYS[i]) == ARGV[i] then redis.call('DEL', KEYS[i]) end
        end
        return 0
        """;

    public async Task<AcquireLeaseResult[]> Acquire(string category, LeaseRequest[] leaseRequests)
    {
        ArgumentNullException.ThrowIfNull(leaseRequests);
        var results = new AcquireLeaseResult[leaseRequests.Length];
        IDatabase database;
        try
        {
            database = await connection.GetDatabaseAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return Failed(leaseRequests, ex);
        }

        for (var i = 0; i < leaseRequests.Length; i++)
        {
            var request = leaseRequests[i];
            var token = Guid.NewGuid().ToString("N");
            var start = DateTime.UtcNow;
            try
            {
                var taken = await database.StringSetAsync(Key(category, request.ResourceKey), token, request.Duration, When.NotExists).ConfigureAwait(false);
                results[i] = taken
                    ? new AcquireLeaseResult(new AcquiredLease(request.ResourceKey, request.Duration, token, start), ResponseCode.OK, null)
                    : new AcquireLeaseResult(new AcquiredLease(request.ResourceKey), ResponseCode.LeaseNotAvailable, null);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                results[i] = new AcquireLeaseResult(new AcquiredLease(request.ResourceKey), ResponseCode.TransientFailure, ex);
            }
        }

        return results;
    }

    public async Task<AcquireLeaseResult[]> Renew(string category, AcquiredLease[] acquiredLeases)
    {
        ArgumentNullException.ThrowIfNull(acquiredLeases);
        if (acquiredLeases.Length == 0)
        {
            return [];
        }

        var keys = new RedisKey[acquiredLeases.Length];
        var args = new RedisValue[acquiredLeases.Length * 2];
        for (var i = 0; i < acquiredLeases.Length; i++)
        {
            keys[i] = Key(category, acquiredLeases[i].ResourceKey);
            args[2 * i] = acquiredLeases[i].Token;
            args[(2 * i) + 1] = (long)acquiredLeases[i].Duration.TotalMilliseconds;
        }

        var start = DateTime.UtcNow;
        RedisResult reply;
        try
        {
            var database = await connection.GetDatabaseAsync(CancellationToken.None).ConfigureAwait(false);
            reply = await database.ScriptEvaluateAsync(RenewScript, keys, args).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            var failed = new AcquireLeaseResult[acquiredLeases.Length];
            for (var i = 0; i < failed.Length; i++)
            {
                failed[i] = new AcquireLeaseResult(acquiredLeases[i], ResponseCode.TransientFailure, ex);
            }

            return failed;
        }

        var renewed = (RedisResult[])reply!;
        var results = new AcquireLeaseResult[acquiredLeases.Length];
        for (var i = 0; i < acquiredLeases.Length; i++)
        {
            var lease = acquiredLeases[i];
            results[i] = (long)renewed[i] == 1
                ? new AcquireLeaseResult(new AcquiredLease(lease.ResourceKey, lease.Duration, lease.Token, start), ResponseCode.OK, null)
                : new AcquireLeaseResult(lease, ResponseCode.InvalidToken, null);
        }

        return results;
    }

    public async Task Release(string category, AcquiredLease[] acquiredLeases)
    {
        ArgumentNullException.ThrowIfNull(acquiredLeases);
        if (acquiredLeases.Length == 0)
        {
            return;
        }

        var keys = new RedisKey[acquiredLeases.Length];
        var args = new RedisValue[acquiredLeases.Length];
        for (var i = 0; i < acquiredLeases.Length; i++)
        {
            keys[i] = Key(category, acquiredLeases[i].ResourceKey);
            args[i] = acquiredLeases[i].Token;
        }

        // A release that fails leaves the leases to expire, which is what the balancer expects of it.
        var database = await connection.GetDatabaseAsync(CancellationToken.None).ConfigureAwait(false);
        await database.ScriptEvaluateAsync(ReleaseScript, keys, args).ConfigureAwait(false);
    }

    private RedisKey Key(string category, string resource) => $"{keyPrefix}:balancer:{category}:{resource}";

    private static AcquireLeaseResult[] Failed(LeaseRequest[] requests, Exception ex)
    {
        var results = new AcquireLeaseResult[requests.Length];
        for (var i = 0; i < requests.Length; i++)
        {
            results[i] = new AcquireLeaseResult(new AcquiredLease(requests[i].ResourceKey), ResponseCode.TransientFailure, ex);
        }

        return results;
    }
}
