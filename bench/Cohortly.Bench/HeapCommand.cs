using System.Globalization;
using Microsoft.Diagnostics.Runtime;

namespace Cohortly.Bench;

/// <summary>
/// Managed-heap composition of a running process (ClrMD). Usage:
/// heap --pid N [--top 40] [--live] [--generation 0|1|2] [--save FILE] [--baseline FILE] [--users N] [--owners TYPE-SUBSTRING]
/// Suspends the process, walks its heap and prints the types with the most bytes (count, total bytes).
/// --live      only objects reachable from the roots (otherwise every non-free object: right after a forced full
///             GC, such as the one the load bench starts (ServerGc), the two differ only by what was allocated since).
/// --generation G  only objects now in GC generation G (non-live walk): generation 1 shows what recently
///             survived gen0 collections, which is what makes ephemeral collections slow under load.
/// --save      writes the per-type table (count, bytes, type; tab-separated) for a later --baseline.
/// --baseline  prints the growth against a saved table instead, sorted by bytes added.
/// --users N   adds bytes and objects per user (the growth, or the totals, divided by N).
/// --owners S  (implies --live) for reachable objects whose type name contains S, which types referenced them
///             when they were first reached: who keeps them alive.
/// </summary>
internal static class HeapCommand
{
    public static Task<int> RunAsync(string[] args)
    {
        try
        {
            return Task.FromResult(Run(new BenchArgs(args)));
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException or ClrDiagnosticsException)
        {
            Console.Error.WriteLine($"heap: {e.Message}");
            return Task.FromResult(2);
        }
    }

    private static int Run(BenchArgs a)
    {
        var pid = int.Parse(a.Require("pid"), CultureInfo.InvariantCulture);
        var top = a.GetInt("top", 40);
        var users = a.GetInt("users", 0);
        var owners = a.Get("owners");
        var live = a.Has("live") || owners is not null;
        var generation = a.Get("generation") is { } g ? (Generation)int.Parse(g, CultureInfo.InvariantCulture) : (Generation?)null;
        if (generation is not null && live)
        {
            throw new ArgumentException("--generation walks the heap's segments; it cannot be combined with --live or --owners");
        }

        Snapshot snapshot;
        using (var target = DataTarget.AttachToProcess(pid, suspend: true))
        {
            if (target.ClrVersions.Length == 0)
            {
                throw new ArgumentException($"process {pid} has no CLR loaded");
            }

            using var runtime = CreateRuntime(target.ClrVersions[0]);
            snapshot = live ? Reachable(runtime.Heap, owners) : AllObjects(runtime.Heap, generation);
        }

        Console.WriteLine($"# heap of process {pid}: {snapshot.Objects:N0} {(live ? "reachable" : "non-free")} objects{(generation is { } shown ? $" in generation {(int)shown}" : "")}, {snapshot.Bytes / 1048576.0:F1} MiB");
        if (a.Get("save") is { } save)
        {
            Save(save, snapshot.Types);
            Console.WriteLine($"# saved {snapshot.Types.Count} types to {save}");
        }

        if (a.Get("baseline") is { } baselinePath)
        {
            PrintGrowth(Load(baselinePath), snapshot.Types, top, users);
        }
        else
        {
            PrintTotals(snapshot.Types, top, users);
        }

        if (snapshot.Owners is { Count: > 0 } byOwner)
        {
            Console.WriteLine();
            Console.WriteLine($"# referenced first by (objects whose type contains \"{owners}\")");
            Console.WriteLine($"{"count",12} {"bytes",14}  owner type -> type");
            foreach (var (key, stat) in Top(byOwner, top))
            {
                Console.WriteLine($"{stat.Count,12:N0} {stat.Bytes,14:N0}  {key}");
            }
        }

        return 0;
    }

    /// <summary>
    /// Bytes the objects of process <paramref name="pid"/>'s heap segments span (free gaps included), without walking
    /// the objects: after a full compacting collection, its live heap plus what fragmentation is left. The process is
    /// suspended only while its segment list is read.
    /// </summary>
    internal static int PrintSegmentBytes(string[] args)
    {
        Console.WriteLine(SegmentBytes(int.Parse(new BenchArgs(args).Require("pid"), CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    internal static long SegmentBytes(int pid)
    {
        using var target = DataTarget.AttachToProcess(pid, suspend: true);
        if (target.ClrVersions.Length == 0)
        {
            throw new ArgumentException($"process {pid} has no CLR loaded");
        }

        using var runtime = CreateRuntime(target.ClrVersions[0]);
        long total = 0;
        foreach (var segment in runtime.Heap.Segments)
        {
            total += (long)segment.ObjectRange.Length;
        }

        return total;
    }

    /// <summary>
    /// The DAC shipped beside the target's runtime first: ClrMD does not look there on Linux and downloads no DAC
    /// there either, so its own search finds none on a machine without a symbol server.
    /// </summary>
    private static ClrRuntime CreateRuntime(ClrInfo clr)
    {
        var directory = Path.GetDirectoryName(clr.ModuleInfo.FileName);
        foreach (var name in new[] { "libmscordaccore.so", "libmscordaccore.dylib", "mscordaccore.dll" })
        {
            var dac = directory is null ? null : Path.Combine(directory, name);
            if (dac is not null && File.Exists(dac))
            {
                // Beside the runtime means the same build; ClrMD reads no version from an ELF module (0.0) and would refuse it.
                return clr.CreateRuntime(dac, ignoreMismatch: true);
            }
        }

        return clr.CreateRuntime();
    }

    private sealed class TypeStat
    {
        public long Count;
        public long Bytes;
    }

    private sealed record Snapshot(Dictionary<string, TypeStat> Types, long Objects, long Bytes, Dictionary<string, TypeStat>? Owners);

    private static Snapshot AllObjects(ClrHeap heap, Generation? generation)
    {
        var types = new Dictionary<string, TypeStat>(StringComparer.Ordinal);
        long objects = 0, bytes = 0;
        foreach (var obj in heap.EnumerateObjects())
        {
            if (!obj.IsValid || obj.IsFree || (generation is { } wanted && heap.GetSegmentByAddress(obj.Address)?.GetGeneration(obj.Address) != wanted))
            {
                continue;
            }

            Add(types, TypeName(obj.Type), obj.Size);
            objects++;
            bytes += (long)obj.Size;
        }

        return new Snapshot(types, objects, bytes, null);
    }

    /// <summary>Marks from every root (depth-first, explicit stack), so unreachable leftovers do not count.</summary>
    private static Snapshot Reachable(ClrHeap heap, string? ownersOf)
    {
        var types = new Dictionary<string, TypeStat>(StringComparer.Ordinal);
        var owners = ownersOf is null ? null : new Dictionary<string, TypeStat>(StringComparer.Ordinal);
        var seen = new HashSet<ulong>();
        var stack = new Stack<(ulong Address, string? Owner)>();
        long objects = 0, bytes = 0;
        foreach (var root in heap.EnumerateRoots())
        {
            if (root.Object.Address != 0)
            {
                stack.Push((root.Object.Address, $"[{root.RootKind}]"));
            }
        }

        while (stack.Count > 0)
        {
            var (address, owner) = stack.Pop();
            if (!seen.Add(address))
            {
                continue;
            }

            var obj = heap.GetObject(address);
            if (!obj.IsValid || obj.IsFree)
            {
                continue;
            }

            var name = TypeName(obj.Type);
            Add(types, name, obj.Size);
            objects++;
            bytes += (long)obj.Size;
            if (owners is not null && name.Contains(ownersOf!, StringComparison.Ordinal))
            {
                Add(owners, $"{owner} -> {name}", obj.Size);
            }

            if (obj.ContainsPointers)
            {
                foreach (var child in obj.EnumerateReferenceAddresses(carefully: false, considerDependantHandles: true))
                {
                    if (child != 0 && !seen.Contains(child))
                    {
                        stack.Push((child, owners is null ? null : name));
                    }
                }
            }
        }

        return new Snapshot(types, objects, bytes, owners);
    }

    private static string TypeName(ClrType? type) => type?.Name ?? "<unknown>";

    private static void Add(Dictionary<string, TypeStat> types, string name, ulong size)
    {
        if (!types.TryGetValue(name, out var stat))
        {
            types[name] = stat = new TypeStat();
        }

        stat.Count++;
        stat.Bytes += (long)size;
    }

    private static IEnumerable<KeyValuePair<string, TypeStat>> Top(Dictionary<string, TypeStat> types, int top) =>
        types.OrderByDescending(t => t.Value.Bytes).ThenBy(t => t.Key, StringComparer.Ordinal).Take(top);

    private static void PrintTotals(Dictionary<string, TypeStat> types, int top, int users)
    {
        Console.WriteLine(users > 0
            ? $"{"count",12} {"bytes",14} {"obj/user",9} {"B/user",9}  type"
            : $"{"count",12} {"bytes",14}  type");
        foreach (var (name, stat) in Top(types, top))
        {
            Console.WriteLine(users > 0
                ? $"{stat.Count,12:N0} {stat.Bytes,14:N0} {stat.Count / (double)users,9:F2} {stat.Bytes / (double)users,9:F0}  {name}"
                : $"{stat.Count,12:N0} {stat.Bytes,14:N0}  {name}");
        }
    }

    private static void PrintGrowth(Dictionary<string, TypeStat> before, Dictionary<string, TypeStat> after, int top, int users)
    {
        var growth = new Dictionary<string, TypeStat>(StringComparer.Ordinal);
        foreach (var (name, stat) in after)
        {
            before.TryGetValue(name, out var old);
            growth[name] = new TypeStat { Count = stat.Count - (old?.Count ?? 0), Bytes = stat.Bytes - (old?.Bytes ?? 0) };
        }

        foreach (var (name, old) in before)
        {
            if (!after.ContainsKey(name))
            {
                growth[name] = new TypeStat { Count = -old.Count, Bytes = -old.Bytes };
            }
        }

        long totalBytes = 0, totalCount = 0;
        foreach (var stat in growth.Values)
        {
            totalBytes += stat.Bytes;
            totalCount += stat.Count;
        }

        Console.WriteLine($"# growth against the baseline: {totalCount:+#,0;-#,0;0} objects, {totalBytes:+#,0;-#,0;0} bytes{(users > 0 ? $" = {totalBytes / (double)users:F0} bytes and {totalCount / (double)users:F1} objects per user ({users:N0} users)" : "")}");
        Console.WriteLine(users > 0
            ? $"{"+count",12} {"+bytes",14} {"obj/user",9} {"B/user",9}  type"
            : $"{"+count",12} {"+bytes",14}  type");
        foreach (var (name, stat) in growth.OrderByDescending(t => Math.Abs(t.Value.Bytes)).ThenBy(t => t.Key, StringComparer.Ordinal).Take(top))
        {
            Console.WriteLine(users > 0
                ? $"{stat.Count,12:N0} {stat.Bytes,14:N0} {stat.Count / (double)users,9:F2} {stat.Bytes / (double)users,9:F0}  {name}"
                : $"{stat.Count,12:N0} {stat.Bytes,14:N0}  {name}");
        }
    }

    private static void Save(string path, Dictionary<string, TypeStat> types)
    {
        using var writer = new StreamWriter(path);
        foreach (var (name, stat) in types)
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{stat.Count}\t{stat.Bytes}\t{name}"));
        }
    }

    private static Dictionary<string, TypeStat> Load(string path)
    {
        var types = new Dictionary<string, TypeStat>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            var parts = line.Split('\t', 3);
            if (parts.Length != 3)
            {
                throw new FormatException($"{path}: not a saved heap table (count, bytes, type per line)");
            }

            types[parts[2]] = new TypeStat { Count = long.Parse(parts[0], CultureInfo.InvariantCulture), Bytes = long.Parse(parts[1], CultureInfo.InvariantCulture) };
        }

        return types;
    }
}
