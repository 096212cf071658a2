// Cohortly bench: one command per measurement family. Numbers written to docs/benchmarks.md come only from here.
using Cohortly.Bench;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine("""
        usage: Cohortly.Bench <command> [options]
          evaluate  offline evaluation of recommenders on a data set
          speed     training speed of iALS and K-Means on generated data
          segment   segmentation algorithms (kmeans, agglomerative, dbscan): ARI vs planted cohorts, quality, time at 100k/1M users
          load      HTTP load against a running gateway (ingest + recommendations); --cluster starts redis + 2 silos + gateway
          replay    replay a data set into a gateway, train, and score online vs offline (parity)
          freshness time from an event to recommendations that reflect it
          failover  cluster mode on loopback: kill -9 a silo under ingest; lost / doubled events, fail-over seconds
          serve     cost of the serving pipeline alone (in-process, one thread)
          train-scale the silo's training run on a seeded synthetic log (20M events by default): seconds and peak memory per stage, iALS s/iteration
          heap      managed-heap composition of a running process by type (ClrMD), and growth against a saved table
        Cohortly.Bench <command> --help lists the command's flags.
        """);
    return 0;
}

var rest = args[1..];
if (BenchHelp.Wants(rest))
{
    if (!BenchHelp.Commands.TryGetValue(args[0], out var help))
    {
        return Fail($"unknown command '{args[0]}'");
    }

    Console.WriteLine(help);
    return 0;
}

return args[0] switch
{
    "evaluate" => await EvaluateCommand.RunAsync(rest),
    "speed" => await SpeedCommand.RunAsync(rest),
    "segment" => await SegmentCommand.RunAsync(rest),
    "load" => await LoadCommand.RunAsync(rest),
    "replay" => await ReplayCommand.RunAsync(rest),
    "freshness" => await FreshnessCommand.RunAsync(rest),
    "failover" => await FailoverCommand.RunAsync(rest),
    "serve" => await ServeCommand.RunAsync(rest),
    "heap" => await HeapCommand.RunAsync(rest),
    "train-scale" => await TrainScaleCommand.RunAsync(rest),
    _ => Fail($"unknown command '{args[0]}'"),
};

static int Fail(string message)
{
    Console.Error.WriteLine(message);
    return 2;
}
