using System.Diagnostics;
using System.Globalization;
using Cohortly.Demo.Synthetic;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Segmentation.Algorithms;

namespace Cohortly.Bench;

/// <summary>
/// Segmentation algorithms side by side, through the same builder a segmentation version is made with
/// (<see cref="SegmentationVersions.Build"/>: standardize, fit, quality, id matching, labels). Two sections:
/// <list type="number">
/// <item>Planted cohorts: a synthetic world's users (profile features after a generated history), adjusted Rand index of
/// the served (nearest-centroid) cohorts against the behaviour types the world planted, and each version's quality.</item>
/// <item>Scale: the same world's feature rows resampled with replacement (each cell jittered by ±1 %, so rows stay
/// distinct) to each of --sizes users; wall time of one build, its ratio to K-Means on the same rows in the same run,
/// and the ARI against the resampled rows' planted types. Agglomerative and DBSCAN cluster a bounded sample
/// (--agglomerative-sample, --dbscan-sample) and serve everyone else by nearest centroid; K-Means clusters every row.</item>
/// </list>
/// </summary>
internal static class SegmentCommand
{
    private const string Usage = """
        usage: Cohortly.Bench segment [options]
          --users N                 synthetic world users for the planted-cohort section (default 5000)
          --days N                  days of generated history (default 60)
          --sizes A,B,...           user counts for the scale section (default 100000,1000000; 0 skips it)
          --algorithms a,b,...      kmeans, agglomerative, dbscan (default all three; kmeans always runs as the reference)
          --k N                     cohorts for the algorithms that take k (default 5; 0 = chosen by silhouette)
          --kmeans-restarts N       (default 3)
          --agglomerative-sample N  rows the dendrogram is built on (default 3000, at most 10000)
          --dbscan-epsilon X        neighbourhood radius, standardized units (default 0 = knee of the k-distance curve)
          --dbscan-min-points N     (default 10)
          --dbscan-sample N         rows DBSCAN clusters (default 5000)
          --silhouette-sample N     rows the quality's silhouette is computed on (default 1000)
          --seed N                  world and fit seed (default 7)
        """;

    public static Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(Usage);
            return Task.FromResult(0);
        }

        try
        {
            return Task.FromResult(Run(new BenchArgs(args)));
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine($"segment: {e.Message}");
            Console.Error.WriteLine(Usage);
            return Task.FromResult(2);
        }
    }

    private static int Run(BenchArgs a)
    {
        var seed = a.GetInt("seed", 7);
        var users = a.GetInt("users", 5000);
        var days = a.GetInt("days", 60);
        var k = a.GetInt("k", 5);
        var sizes = (a.Get("sizes") ?? "100000,1000000").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).Where(s => s > 0).ToArray();
        var names = (a.Get("algorithms") ?? "kmeans,agglomerative,dbscan").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var algorithms = new List<ISegmentationAlgorithm> { new KMeansSegmentation(Restarts: a.GetInt("kmeans-restarts", 3)) };
        foreach (var name in names)
        {
            ISegmentationAlgorithm? algorithm = name switch
            {
                KMeansSegmentation.AlgorithmName => null,
                AgglomerativeSegmentation.AlgorithmName => new AgglomerativeSegmentation(a.GetInt("agglomerative-sample", 3000)),
                DbscanSegmentation.AlgorithmName => new DbscanSegmentation(a.GetDouble("dbscan-epsilon", 0), a.GetInt("dbscan-min-points", 10), a.GetInt("dbscan-sample", 5000)),
                _ => throw new ArgumentException($"unknown algorithm '{name}'"),
            };
            if (algorithm is not null)
            {
                algorithms.Add(algorithm);
            }
        }

        var silhouetteSample = a.GetInt("silhouette-sample", 1000);
        Console.WriteLine($"segment: seed {seed}, k {k}, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        foreach (var algorithm in algorithms)
        {
            Console.WriteLine($"  {algorithm}");
        }

        var watch = Stopwatch.StartNew();
        var world = PlantedSegments.From(SyntheticWorld.Create(new SyntheticWorldOptions { Users = users, Items = 2000 }, seed), new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero), days, new Random(seed + 4));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"world: {users} users, {days} days of history, {world.Features.Columns} features ({watch.Elapsed.TotalSeconds:F1} s to generate)"));
        Console.WriteLine();
        Console.WriteLine("| algorithm | users | cohorts | ARI vs plant | silhouette | Davies–Bouldin | inertia | noise | sizes | seconds |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        foreach (var algorithm in algorithms)
        {
            Row(algorithm, world.Features, world.Planted, k, seed, silhouetteSample, ratio: false, reference: null);
        }

        foreach (var size in sizes)
        {
            var (rows, planted) = Resample(world, size, new Random(seed + size));
            Console.WriteLine();
            Console.WriteLine($"scale: {size} users resampled from the world (±1 % jitter per cell)");
            Console.WriteLine("| algorithm | users | cohorts | ARI vs plant | silhouette | Davies–Bouldin | inertia | noise | sizes | seconds | ratio to kmeans |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|");
            double? reference = null;
            foreach (var algorithm in algorithms)
            {
                var seconds = Row(algorithm, rows, planted, k, seed, silhouetteSample, ratio: true, reference);
                reference ??= seconds;
            }
        }

        return 0;
    }

    private static double Row(ISegmentationAlgorithm algorithm, FeatureMatrix rows, int[] planted, int k, int seed, int silhouetteSample, bool ratio, double? reference)
    {
        var options = new SegmentationOptions { Algorithm = algorithm, K = k, Seed = seed, SilhouetteSample = silhouetteSample };
        var watch = Stopwatch.StartNew();
        var version = SegmentationVersions.Build(rows, ProfileFeatures.Names, basis: null, version: 1, options, SegmentationRunKind.SegmentationOnly);
        var seconds = watch.Elapsed.TotalSeconds;
        var served = new int[rows.Rows];
        for (var r = 0; r < served.Length; r++)
        {
            served[r] = version.Model.Assign(rows.ReadRow(r));
        }

        var ari = ClusterAgreement.AdjustedRandIndex(planted, served);
        var q = version.Quality!;
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"| {algorithm.Name} | {rows.Rows} | {version.Model.CohortIds.Count} | {ari:F3} | {Format(q.Silhouette)} | {Format(q.DaviesBouldin)} | {q.Inertia:F0} | {(q.NoiseShare is { } n ? n.ToString("P1", CultureInfo.InvariantCulture) : "–")} | {string.Join('/', q.ClusterSizes)} | {seconds:F2} |");
        if (ratio)
        {
            // The first algorithm is K-Means, the reference: its own ratio is 1.
            line += string.Create(CultureInfo.InvariantCulture, $" {seconds / (reference ?? seconds):F2} |");
        }

        Console.WriteLine(line);
        return seconds;
    }

    private static string Format(double? value) => value is { } v ? v.ToString("F3", CultureInfo.InvariantCulture) : "–";

    private static (FeatureMatrix Rows, int[] Planted) Resample(PlantedSegments world, int size, Random rng)
    {
        var source = world.Features;
        var rows = new FeatureMatrix(size, source.Columns);
        var planted = new int[size];
        for (var i = 0; i < size; i++)
        {
            var pick = rng.Next(source.Rows);
            planted[i] = world.Planted[pick];
            var from = source.ReadRow(pick);
            var to = rows.Row(i);
            for (var c = 0; c < to.Length; c++)
            {
                to[c] = from[c] * (float)(1 + ((rng.NextDouble() - 0.5) * 0.02));
            }
        }

        return (rows, planted);
    }
}
