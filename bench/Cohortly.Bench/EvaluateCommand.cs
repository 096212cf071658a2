namespace Cohortly.Bench;

internal static class EvaluateCommand
{
    public static Task<int> RunAsync(string[] args)
    {
        _ = new BenchArgs(args);
        Console.Error.WriteLine("evaluate: not built yet");
        return Task.FromResult(2);
    }
}
