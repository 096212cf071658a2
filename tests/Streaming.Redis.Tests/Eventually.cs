namespace Cohortly.Streaming.Redis.Tests;

/// <summary>Waits for a condition instead of sleeping for a guessed time.</summary>
internal static class Eventually
{
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for {what}. Last value: {value}");
            }

            await Task.Delay(50);
        }
    }
}
