using System.Security.Cryptography;
using System.Text;
using Cohortly.Contracts;
using Cohortly.Modeling.Cohorts;
using Cohortly.Modeling.Data;
using Cohortly.Modeling.Evaluation;
using Cohortly.Modeling.Events;

namespace Cohortly.Bench;

/// <summary>One replayed event: the interaction the server and the offline pipeline both see, plus its wire id.</summary>
internal readonly record struct ReplayEvent(string EventId, int User, Interaction Interaction);

/// <summary>
/// The data behind a replay: the split exactly as <c>evaluate</c> makes it (same preset, same seed) or a pre-split
/// directory, and the train+valid interactions as events in time order with deterministic event ids (a re-run is
/// deduplicated by the server). The offline side of the parity check trains on the same <see cref="Events"/>.
/// </summary>
internal sealed class ReplayData
{
    private ReplayData(string name, string protocol, DatasetSplit split, InteractionDataset known, List<ReplayEvent> events, int duplicates)
    {
        Name = name;
        Protocol = protocol;
        Split = split;
        Known = known;
        Events = events;
        DuplicateEvents = duplicates;
    }

    public string Name { get; }

    public string Protocol { get; }

    public DatasetSplit Split { get; }

    /// <summary>Train + valid: what is replayed and what the test ranking excludes.</summary>
    public InteractionDataset Known { get; }

    /// <summary>Train + valid interactions, oldest first, without duplicate event ids.</summary>
    public List<ReplayEvent> Events { get; }

    /// <summary>Rows dropped because their event id repeated an earlier one (the server would drop them too).</summary>
    public int DuplicateEvents { get; }

    public long LastTimestampMs => Events.Count == 0 ? 0 : Events[^1].Interaction.TimestampMs;

    public static ReplayData Load(BenchArgs a, int seed)
    {
        DatasetSplit split;
        string name;
        string protocolText;
        var protocol = EvaluationProtocol.Parse(a.Get("preset") ?? "recbole");
        if (a.Get("split-dir") is { } splitDir)
        {
            split = SplitDirectoryReader.Read(splitDir);
            name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(splitDir)));
            protocolText = $"pre-split {splitDir}";
        }
        else
        {
            var path = a.Require("data");
            var raw = DatasetLoader.Load(DatasetLoader.ParseFormat(a.Require("format")), path);
            // Same filter, split and seed as EvaluateCommand, so the offline table and this replay share a test set.
            var filtered = protocol.Filter(raw);
            split = protocol.SplitData(filtered, new Random(seed));
            name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));
            protocolText = $"preset {protocol.Name}, seed {seed}: {raw.Count} raw → {filtered.Count} after filter";
        }

        var known = InteractionDataset.Concat(split.Train, split.Validation);
        var (events, duplicates) = ToEvents(known);
        return new ReplayData(name, protocolText, split, known, events, duplicates);
    }

    /// <summary>Catalog entries as the training input lists them (categories only; the replay sends no prices).</summary>
    public List<ItemInfo> CatalogItems()
    {
        var catalog = Split.Catalog;
        var items = new List<ItemInfo>(catalog.ItemCount);
        for (var i = 0; i < catalog.ItemCount; i++)
        {
            items.Add(new ItemInfo(catalog.Items[i], catalog.ItemMetadata(i)?.Categories ?? [], null));
        }

        return items;
    }

    private static (List<ReplayEvent> Events, int Duplicates) ToEvents(InteractionDataset data)
    {
        var catalog = data.Catalog;
        var types = new InteractionType[Math.Max(256, catalog.EventTypeNames.Count)];
        Array.Fill(types, InteractionType.Rating);
        for (var c = 0; c < catalog.EventTypeNames.Count; c++)
        {
            if (InteractionTypes.TryParse(catalog.EventTypeNames[c], out var t))
            {
                types[c] = t;
            }
        }

        // Time order with a deterministic tie-break, so two runs send the same sequence.
        var order = new int[data.Count];
        for (var r = 0; r < order.Length; r++)
        {
            order[r] = r;
        }

        var timestamps = data.Timestamps.ToArray();
        var users = data.Users.ToArray();
        var items = data.Items.ToArray();
        Array.Sort(order, (x, y) =>
        {
            var c = timestamps[x].CompareTo(timestamps[y]);
            if (c == 0)
            {
                c = users[x].CompareTo(users[y]);
            }

            return c != 0 ? c : x.CompareTo(y);
        });
        var values = data.Values;
        var codes = data.HasEventTypes ? data.EventTypes : default;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var events = new List<ReplayEvent>(order.Length);
        var duplicates = 0;
        foreach (var r in order)
        {
            var type = codes.IsEmpty ? InteractionType.Rating : types[codes[r]];
            var userId = catalog.Users[users[r]];
            var itemId = catalog.Items[items[r]];
            var eventId = EventId(type, userId, itemId, timestamps[r]);
            if (!seen.Add(eventId))
            {
                duplicates++;
                continue;
            }

            double? value = type == InteractionType.Rating || values[r] != 0 ? values[r] : null;
            events.Add(new ReplayEvent(eventId, users[r], new Interaction(userId, itemId, type, value, timestamps[r] * 1000, null)));
        }

        return (events, duplicates);
    }

    private static string EventId(InteractionType type, string userId, string itemId, long timestamp)
    {
        var id = $"replay-{type.ToWireName()}-{userId}-{itemId}-{timestamp}";
        if (id.Length <= 128)
        {
            return id;
        }

        // Long external ids: a hash keeps the id within the API's 128 characters and still deterministic.
        return "replay-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));
    }

    /// <summary>The users' cohorts as the user grain would compute them: the profile built from the replayed events.</summary>
    public Modeling.Features.UserProfile[] Profiles() => ProfileReplay.Build(Known);
}
