using Cohortly.ClusterProcesses;

namespace Cohortly.Integration.Tests;

public static class Eventually
{
    /// <summary><see cref="Poll.UntilAsync"/> as a test failure.</summary>
    public static async Task True(Func<Task<bool>> condition, string description, TimeSpan timeout, Func<string>? diagnostics = null)
    {
        try
        {
            await Poll.UntilAsync(condition, description, timeout, diagnostics);
        }
        catch (TimeoutException e)
        {
            Assert.Fail(e.Message);
        }
    }
}
