namespace Cohortly.Bench;

internal static class SpeedCommand
{
    public static Task<int> RunAsync(string[] args)
    {
        _ = new BenchArgs(args);
        Console.Error.WriteLine("speed: not built yet");
        return Task.FromResult(2);
    }
}
