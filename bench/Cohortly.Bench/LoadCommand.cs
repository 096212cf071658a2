namespace Cohortly.Bench;

internal static class LoadCommand
{
    public static Task<int> RunAsync(string[] args)
    {
        _ = new BenchArgs(args);
        Console.Error.WriteLine("load: not built yet");
        return Task.FromResult(2);
    }
}
