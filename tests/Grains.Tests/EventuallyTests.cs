namespace Cohortly.Grains.Tests;

/// <summary>
/// The waits every grain test leans on (tests/TestSupport/Eventually.cs) end: a condition whose read never answers
/// fails the wait, naming it, instead of hanging the test run until CI's time limit.
/// </summary>
public sealed class EventuallyTests
{
    /// <summary>What the test itself allows before it fails; a hang in the wait under test would run into it.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_read_that_never_answers_fails_the_wait_after_its_timeout_and_names_what_was_awaited()
    {
        var never = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        var wait = Eventually.True(() => never.Task, "the silent peer answers", TimeSpan.FromMilliseconds(200));

        var error = await Assert.ThrowsAsync<TimeoutException>(() => wait.WaitAsync(Bound));
        Assert.True(wait.IsFaulted, "the wait itself failed; it was not the test's bound that ran out");
        Assert.Contains("the silent peer answers", error.Message, StringComparison.Ordinal);
        Assert.Contains("did not answer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_read_that_answers_late_but_within_the_timeout_is_still_judged()
    {
        var reads = 0;

        var value = await Eventually.Value(
            async () =>
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100));
                return ++reads;
            },
            n => n == 2,
            "the second read",
            TimeSpan.FromSeconds(20)).WaitAsync(Bound);

        Assert.Equal(2, value);
    }

    [Fact]
    public async Task A_read_failing_with_its_own_timeout_fails_the_wait_at_once_as_before()
    {
        var reads = 0;

        var error = await Assert.ThrowsAsync<TimeoutException>(() => Eventually.True(
            () =>
            {
                reads++;
                throw new TimeoutException("the grain call timed out");
            },
            "a call that times out",
            TimeSpan.FromSeconds(20)).WaitAsync(Bound));

        Assert.Equal("the grain call timed out", error.Message);
        Assert.Equal(1, reads);
    }
}
