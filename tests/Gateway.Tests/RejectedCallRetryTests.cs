using Cohortly.Gateway.Hosting;
using Orleans.Runtime.Messaging;

namespace Cohortly.Gateway.Tests;

/// <summary>A rejected call (never ran) is tried again with the same arguments; anything else reaches the caller at once.</summary>
public sealed class RejectedCallRetryTests
{
    [Fact]
    public async Task A_rejected_call_is_retried_with_the_same_state_and_its_answer_returned()
    {
        var attempts = 0;
        var seen = new List<string>();

        var answer = await RejectedCallRetry.Run(("u-1", 7), s =>
        {
            seen.Add($"{s.Item1}/{s.Item2}");
            return ++attempts == 1 ? Task.FromException<int>(new ConnectionFailedException("silo left")) : Task.FromResult(s.Item2 * 6);
        });

        Assert.Equal(42, answer);
        Assert.Equal(["u-1/7", "u-1/7"], seen);
    }

    [Fact]
    public async Task A_failure_that_is_no_rejection_is_not_retried_and_rejections_stop_after_two_retries()
    {
        var attempts = 0;
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await RejectedCallRetry.Run(0, _ =>
        {
            attempts++;
            return Task.FromException<int>(new InvalidOperationException("ran and failed"));
        }));
        Assert.Equal(1, attempts);

        attempts = 0;
        await Assert.ThrowsAsync<ConnectionFailedException>(async () => await RejectedCallRetry.Run(0, _ =>
        {
            attempts++;
            return Task.FromException<int>(new ConnectionFailedException("still leaving"));
        }));
        Assert.Equal(3, attempts);
    }
}
