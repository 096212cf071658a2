using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Users;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// Writes and reads a sample user state through the storage serializer while the silo starts, before it takes calls.
/// The first write and read of a <see cref="UserState"/> in a process costs tens to hundreds of ms (System.Text.Json
/// builds its converters, the runtime compiles the paths), later ones well under a millisecond; the silo logs both at
/// Debug and <c>bench memory</c> prints them. Without this, the first users a silo reactivates after it starts pay the
/// first read inside their first request (benchmarks.md, "What a reactivation spends").
/// </summary>
internal sealed partial class StateCodecWarmup(DeflatedGrainStorageSerializer serializer, ILogger<StateCodecWarmup> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(StateCodecWarmup), ServiceLifecycleStage.ApplicationServices, Warm);

    private Task Warm(CancellationToken cancellationToken)
    {
        // A few rounds: the runtime compiles hot methods again after their first calls (tiered compilation).
        var first = 0.0;
        var last = 0.0;
        for (var round = 0; round < 3; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var stored = serializer.Serialize(Sample());
            _ = serializer.Deserialize<UserState>(stored);
            last = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            first = round == 0 ? last : first;
        }

        LogWarmed(logger, first, last);
        return Task.CompletedTask;
    }

    /// <summary>A state with what a user of a few events holds: profile, deduplication window, attributes, log position, cohort.</summary>
    internal static UserState Sample()
    {
        var state = new UserState();
        var options = new UserStateOptions();
        var item = new ItemInfo("warmup-item", ["warmup"], 10);
        var receivedAt = DateTimeOffset.UnixEpoch.AddDays(20_000);
        for (var i = 0; i < 3; i++)
        {
            state.Seen.TryAdd($"warmup-{i}", receivedAt, options.DeduplicationWindow);
            var type = i switch { 0 => InteractionType.View, 1 => InteractionType.Click, _ => InteractionType.Purchase };
            state.Profile.Apply(new Interaction("warmup", item.Id, type, type == InteractionType.Purchase ? 10 : null, receivedAt.ToUnixTimeMilliseconds() + i, "web"), item, ProfileOptions.Default);
        }

        state.SetAttributes(new Dictionary<string, string> { ["plan"] = "warmup" });
        state.LastApplied = new LogPosition(1, 0, 0);
        state.CohortId = 0;
        return state;
    }

    // Read by the memory bench (MemoryCommand.ActivationParts): keep the "user state codec warmed:" prefix.
    [LoggerMessage(Level = LogLevel.Debug, Message = "user state codec warmed: first write and read {First:0.###} ms, third {Third:0.###} ms")]
    private static partial void LogWarmed(ILogger logger, double first, double third);
}
