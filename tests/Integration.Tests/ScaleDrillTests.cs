using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Cohortly.Integration.Tests;

/// <summary>
/// Silos come and go under light load (issue 16): a third silo process joins a two-silo cluster and takes a share of
/// the stream partitions, then silo 1 leaves by SIGTERM; meanwhile events and recommendation requests keep coming.
/// No request may fail and every acknowledged event must be applied exactly once. Bounded: about two minutes.
/// </summary>
public sealed class ScaleDrillTests
{
    private const int Users = 300;
    private const int Partitions = 6;

    [Fact]
    public async Task A_third_silo_joins_and_one_leaves_by_sigterm_under_load_with_no_error_and_no_event_lost()
    {
        var extra = new Dictionary<string, string> { ["Cohortly__Streams__Partitions"] = Partitions.ToString(CultureInfo.InvariantCulture) };
        using var cluster = await LocalCluster.StartAsync(ClusterSettings.Options("scale", extra: extra), TimeSpan.FromSeconds(120));
        using var http = CohortlyApiClient.ForLoopback(cluster.Address.ToString().TrimEnd('/'), ClusterSettings.AppKey, ClusterSettings.AdminKey, 16, TimeSpan.FromSeconds(10));
        var load = new Load(http);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var running = load.RunAsync(stop.Token);
        string Diagnostics() => $"errors: {load.Errors()}\n{cluster.Diagnostics()}";

        await Eventually.True(() => Task.FromResult(load.Acknowledged > 1000), "the load is flowing", TimeSpan.FromSeconds(60), Diagnostics);
        cluster.StartSilo(3);
        await cluster.WaitUntilReadyAsync(TimeSpan.FromSeconds(90));
        await Eventually.True(
            async () => (await ClusterShares.PartitionsAsync(cluster, CancellationToken.None)).GetValueOrDefault(3) >= Partitions / 3,
            "silo3 reads its share of the partitions", TimeSpan.FromSeconds(60), Diagnostics);

        await cluster.StopSiloAsync(1, TimeSpan.FromSeconds(100));
        Assert.Equal(0, cluster.Silo(1).ExitCode);
        await Eventually.True(
            async () => ClusterShares.Balanced(await ClusterShares.ReadAsync(cluster, http, CancellationToken.None), Partitions, activationTolerance: 1.0),
            "silos 2 and 3 read every partition between them", TimeSpan.FromSeconds(60), Diagnostics);

        // A little more load on the two survivors, then stop and compare.
        var before = load.Acknowledged;
        await Eventually.True(() => Task.FromResult(load.Acknowledged > before + 500), "the load goes on after the leave", TimeSpan.FromSeconds(60), Diagnostics);
        await stop.CancelAsync();
        await running;

        Assert.True(load.Errors() == "none", Diagnostics());
        var expected = load.ExpectedPerUser();
        var mismatches = "not read yet";
        await Eventually.True(
            async () =>
            {
                var wrong = new List<string>();
                var fewer = 0;
                var more = 0;
                foreach (var (user, count) in expected)
                {
                    var applied = await http.ProfileEventsAsync(user, CancellationToken.None);
                    if (applied != count)
                    {
                        fewer += applied < count ? 1 : 0;
                        more += applied > count ? 1 : 0;
                        if (wrong.Count < 10)
                        {
                            wrong.Add($"{user}: {applied} applied, {count} acknowledged");
                        }
                    }
                }

                mismatches = $"{fewer} users with fewer events than acknowledged, {more} with more; {string.Join("; ", wrong)}";
                return fewer + more == 0;
            },
            "every user's profile holds exactly its acknowledged events",
            TimeSpan.FromSeconds(90),
            () => $"{mismatches}\n{Diagnostics()}");
    }

    /// <summary>Events (batches of 20, one per user in turn) and recommendation GETs, one at a time each; every
    /// failure is recorded, every acknowledged event counted for its user.</summary>
    private sealed class Load(CohortlyApiClient http)
    {
        private readonly ConcurrentDictionary<string, int> _acknowledged = new(StringComparer.Ordinal);
        private readonly ConcurrentQueue<string> _errors = new();
        private readonly string _tag = Guid.NewGuid().ToString("N")[..8];
        private int _acknowledgedTotal;
        private int _next;

        public int Acknowledged => Volatile.Read(ref _acknowledgedTotal);

        public string Errors() => _errors.IsEmpty ? "none" : string.Join("; ", _errors.Take(20)) + $" ({_errors.Count} in all)";

        public IReadOnlyDictionary<string, int> ExpectedPerUser() => new Dictionary<string, int>(_acknowledged, StringComparer.Ordinal);

        public Task RunAsync(CancellationToken stop) => Task.WhenAll(Ingest(stop), Ingest(stop), Recommend(stop));

        private static string User(int n) => "sd-u" + (n % Users).ToString(CultureInfo.InvariantCulture);

        private async Task Ingest(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                var first = Interlocked.Add(ref _next, 20) - 20;
                var body = new StringBuilder("{\"events\":[");
                for (var i = 0; i < 20; i++)
                {
                    var n = first + i;
                    body.Append(CultureInfo.InvariantCulture, $"{(i > 0 ? "," : "")}{{\"eventId\":\"sd-{_tag}-{n}\",\"userId\":\"{User(n)}\",\"itemId\":\"sku-{n % 50}\",\"type\":\"view\"}}");
                }

                body.Append("]}");
                var (status, notAccepted) = await http.TryPostEventsAsync(Encoding.UTF8.GetBytes(body.ToString()), 20, CancellationToken.None);
                if (status != 202 || notAccepted.Count > 0)
                {
                    _errors.Enqueue($"POST /v1/events {status} ({notAccepted.Count} not accepted)");
                }

                var refused = new HashSet<int>(notAccepted);
                for (var i = 0; i < 20; i++)
                {
                    if (status == 202 && !refused.Contains(i))
                    {
                        _acknowledged.AddOrUpdate(User(first + i), 1, (_, c) => c + 1);
                        Interlocked.Increment(ref _acknowledgedTotal);
                    }
                }

                await Task.Delay(20, CancellationToken.None);
            }
        }

        private async Task Recommend(CancellationToken stop)
        {
            var random = new Random(16);
            var watch = Stopwatch.StartNew();
            while (!stop.IsCancellationRequested)
            {
                var user = User(random.Next(Users));
                try
                {
                    await http.RecommendAsync(user, 5, explore: true, CancellationToken.None);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    _errors.Enqueue($"GET recommendations at {watch.Elapsed.TotalSeconds:F1} s: {e.Message}");
                }

                await Task.Delay(10, CancellationToken.None);
            }
        }
    }
}
