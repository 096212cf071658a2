using System.Diagnostics;
using System.Globalization;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Recommenders;
using Cohortly.Modeling.Segmentation;

namespace Cohortly.Bench;

/// <summary>
/// Training speed. Usage:
/// speed [--users N] [--items N] [--per-user N] [--factors 64] [--iterations 15] [--repeat 3] [--seed N] [--threads N]
///       [--data PATH [--format ml100k|ml1m|mlcsv|tsv]]   (format defaults to ml100k)
/// Times iALS on generated data and, with --data, on the whole data set (every interaction, binary). Each
/// measurement is repeated; the first run (JIT warm-up included) is reported apart from the median of the rest.
/// A single-thread run of the same fit is the same-run reference for the parallel speed-up.
/// </summary>
internal static class SpeedCommand
{
    public static Task<int> RunAsync(string[] args)
    {
        try
        {
            return Task.FromResult(Run(new BenchArgs(args)));
        }
        catch (Exception e) when (e is ArgumentException or DataFormatException)
        {
            Console.Error.WriteLine($"speed: {e.Message}");
            return Task.FromResult(2);
        }
    }

    private static int Run(BenchArgs a)
    {
        var seed = a.GetInt("seed", 2024);
        var repeat = Math.Max(2, a.GetInt("repeat", 3));
        var options = new IalsOptions
        {
            Factors = a.GetInt("factors", 64),
            Iterations = a.GetInt("iterations", 15),
            Regularization = (float)a.GetDouble("reg", 30),
            Alpha = (float)a.GetDouble("alpha", 3),
        };
        Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {Environment.OSVersion}, .NET {Environment.Version}");
        Console.WriteLine($"ials: factors={options.Factors}, iterations={options.Iterations}, cg steps={options.ConjugateGradientSteps}");
        Console.WriteLine();
        Console.WriteLine("data                        interactions   users   items  threads   first s  median s");

        var generated = SyntheticInteractions.PlantedBlocks(
            a.GetInt("users", 10_000), a.GetInt("items", 5_000), 8, a.GetInt("per-user", 50), 0.8, new Random(seed)).Data;
        var generatedTraining = new TrainingData(generated);
        // --threads N times one degree of parallelism only; by default all cores, then one thread as the reference.
        int[] degrees = a.Get("threads") is null ? [-1, 1] : [a.GetInt("threads", -1)];
        foreach (var d in degrees)
        {
            TimeIals("generated", generatedTraining, options with { MaxDegreeOfParallelism = d }, repeat, seed);
        }

        if (a.Get("data") is { } path)
        {
            var data = DatasetLoader.Load(DatasetLoader.ParseFormat(a.Get("format") ?? "ml100k"), path);
            var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));
            var training = new TrainingData(data);
            foreach (var d in degrees)
            {
                TimeIals(name, training, options with { MaxDegreeOfParallelism = d }, repeat, seed);
            }
        }

        KMeansSection(a);
        return 0;
    }

    private static void TimeIals(string name, TrainingData training, IalsOptions options, int repeat, int seed)
    {
        _ = training.UserItems; // build the sparse views outside the timed region, as the evaluation does
        _ = training.ItemUsers;
        var times = new double[repeat];
        for (var r = 0; r < repeat; r++)
        {
            var model = new IalsRecommender(options);
            var watch = Stopwatch.StartNew();
            model.Fit(training, new Random(seed));
            times[r] = watch.Elapsed.TotalSeconds;
        }

        var rest = times[1..];
        Array.Sort(rest);
        var median = rest[rest.Length / 2];
        var threads = options.MaxDegreeOfParallelism > 0 ? options.MaxDegreeOfParallelism : Environment.ProcessorCount;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{name,-26} {training.Interactions.Count,13} {training.UserCount,7} {training.ItemCount,7} {threads,8} {times[0],9:F3} {median,9:F3}"));
    }

    // K-Means training speed (segmentation) is timed here by the lead's segmentation work.
    /// <summary>
    /// K-Means (ML.NET, k-means++) on generated points: planted Gaussian blobs, so the run also
    /// reports whether the planted structure came back (adjusted Rand index).
    /// Options: --points N (1,000,000) --dims N (32) --k N (8) --restarts N (1) --kmeans-iterations N (100).
    /// </summary>
    private static void KMeansSection(BenchArgs a)
    {
        var points = a.GetInt("points", 1_000_000);
        var dims = a.GetInt("dims", 32);
        var k = a.GetInt("k", 8);
        var restarts = a.GetInt("restarts", 1);
        var iterations = a.GetInt("kmeans-iterations", 100);
        var seed = a.GetInt("seed", 2024);
        var rng = new Random(seed);
        var centres = new float[k][];
        for (var c = 0; c < k; c++)
        {
            centres[c] = new float[dims];
            for (var d = 0; d < dims; d++)
            {
                centres[c][d] = (float)(rng.NextDouble() * 10);
            }
        }

        var data = new FeatureMatrix(points, dims);
        var planted = new int[points];
        for (var i = 0; i < points; i++)
        {
            var c = rng.Next(k);
            planted[i] = c;
            var row = data.Row(i);
            for (var d = 0; d < dims; d++)
            {
                row[d] = centres[c][d] + (float)((rng.NextDouble() - 0.5) * 2);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"kmeans: {points} points x {dims} dims, k={k}, restarts={restarts}, max iterations={iterations}, ML.NET k-means++");
        var watch = Stopwatch.StartNew();
        var result = KMeansClusterer.Fit(data, k, seed, restarts, iterations);
        var seconds = watch.Elapsed.TotalSeconds;
        var ari = ClusterAgreement.AdjustedRandIndex(planted, result.Assignments);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"kmeans: {seconds:F2} s (fit incl. data view, plus nearest-centroid assignment of every point); adjusted Rand index vs planted {ari:F4}"));
    }
}
