using System.Globalization;
using System.Text.Json.Nodes;
using StackExchange.Redis;

namespace Cohortly.TestSupport;

/// <summary>What each running silo of a <see cref="LocalCluster"/> holds: activations (Orleans' count, system grains
/// included) and stream partitions (the partition leases' owners).</summary>
public sealed record SiloShare(int Silo, int? Activations, int Partitions);

/// <summary>
/// Reads how the work of a <see cref="LocalCluster"/> is spread over its silos, for the scale bench and the join/leave
/// drill: activations per silo from <c>GET /v1/admin/cluster</c> (matched to a silo by its port) and stream partitions
/// per silo from the Redis stream provider's lease keys, whose value is the reading consumer's name
/// (<c>machine-pid-pN-…</c>, matched to a silo by its process id).
/// </summary>
public static class ClusterShares
{
    public static async Task<IReadOnlyList<SiloShare>> ReadAsync(LocalCluster cluster, CohortlyApiClient http, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(http);
        var running = cluster.RunningSiloNumbers;
        var activations = new Dictionary<int, int>();
        var view = await http.AdminGetAsync("/v1/admin/cluster", cancellationToken);
        foreach (var silo in view["silos"]!.AsArray())
        {
            // Orleans writes a silo address as S127.0.0.1:11111:123456789.
            var address = silo!["address"]!.GetValue<string>().Split(':');
            if (address.Length < 2 || !int.TryParse(address[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var port))
            {
                continue;
            }

            foreach (var n in running)
            {
                if (cluster.SiloPortsOf(n).Silo == port && silo["activations"] is JsonValue count)
                {
                    activations[n] = count.GetValue<int>();
                }
            }
        }

        var partitions = await PartitionsAsync(cluster, cancellationToken);
        var shares = new List<SiloShare>(running.Count);
        foreach (var n in running)
        {
            shares.Add(new SiloShare(n, activations.TryGetValue(n, out var a) ? a : null, partitions.GetValueOrDefault(n)));
        }

        return shares;
    }

    /// <summary>Partitions whose lease a running silo holds, by silo number (a partition whose lease is free or held
    /// by a process that is gone counts for nobody).</summary>
    public static async Task<Dictionary<int, int>> PartitionsAsync(LocalCluster cluster, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var bySilo = new Dictionary<int, int>();
        var pids = new Dictionary<int, int>();
        foreach (var n in cluster.RunningSiloNumbers)
        {
            pids[cluster.Silo(n).Id] = n;
        }

        using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.Redis.ConnectionString);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var database = redis.GetDatabase();
        await foreach (var key in server.KeysAsync(pattern: "*}:lease", pageSize: 1000).WithCancellation(cancellationToken))
        {
            var owner = (string?)await database.StringGetAsync(key);
            // machine-pid-pN-hex: the pid is the second field from the end of "machine-pid", and machine names may hold '-'.
            var parts = owner?.Split('-');
            if (parts is { Length: >= 4 } && int.TryParse(parts[^3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) && pids.TryGetValue(pid, out var silo))
            {
                bySilo[silo] = bySilo.GetValueOrDefault(silo) + 1;
            }
        }

        return bySilo;
    }

    /// <summary>
    /// Balanced: every running silo holds ⌊P/n⌋ or ⌈P/n⌉ of the <paramref name="partitions"/> partitions (all of them
    /// owned), and every silo's activations are within <paramref name="activationTolerance"/> (a fraction) of the mean.
    /// </summary>
    public static bool Balanced(IReadOnlyList<SiloShare> shares, int partitions, double activationTolerance)
    {
        ArgumentNullException.ThrowIfNull(shares);
        if (shares.Count == 0)
        {
            return false;
        }

        int owned = 0, low = partitions / shares.Count, high = (partitions + shares.Count - 1) / shares.Count;
        double sum = 0;
        foreach (var s in shares)
        {
            if (s.Partitions < low || s.Partitions > high || s.Activations is null)
            {
                return false;
            }

            owned += s.Partitions;
            sum += s.Activations.Value;
        }

        var mean = sum / shares.Count;
        foreach (var s in shares)
        {
            if (Math.Abs(s.Activations!.Value - mean) > activationTolerance * mean)
            {
                return false;
            }
        }

        return owned == partitions;
    }

    public static string Describe(IReadOnlyList<SiloShare> shares) =>
        shares.Count == 0 ? "none" : string.Join(", ", shares.Select(s => string.Create(CultureInfo.InvariantCulture, $"silo{s.Silo} {s.Activations?.ToString(CultureInfo.InvariantCulture) ?? "?"} act / {s.Partitions} part")));
}
