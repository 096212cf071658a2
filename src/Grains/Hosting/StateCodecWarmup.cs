using Cohortly.Contracts;
using Cohortly.Modeling.Events;
using Cohortly.Modeling.Features;
using Cohortly.Modeling.Users;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// Reads and writes a sample user state through the storage serializer once while the silo starts, before it takes
/// calls. Measured in a fresh process: the first <see cref="UserState"/> written through the deflated JSON serializer
/// took 184 ms and the first read back 46 ms (System.Text.Json builds its converters and the runtime compiles the
/// paths), the next reads 0.02–0.24 ms. Without this, the first users a silo reactivates after it starts pay that
/// inside their first request (the memory bench's first sampled wave had a first-request p99 of 53–154 ms where
/// later waves had 3–20 ms; benchmarks.md, "What a reactivation spends").
/// </summary>
internal sealed partial class StateCodecWarmup(DeflatedGrainStorageSerializer serializer, ILogger<StateCodecWarmup> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(StateCodecWarmup), ServiceLifecycleStage.ApplicationServices, Warm);

    private Task Warm(CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        // A few rounds: the runtime compiles hot methods again after their first calls (tiered compilation).
        for (var round = 0; round < 3; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stored = serializer.Serialize(Sample());
            _ = serializer.Deserialize<UserState>(stored);
        }

        LogWarmed(logger, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
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

    [LoggerMessage(Level = LogLevel.Debug, Message = "User state codec warmed in {Milliseconds:0.#} ms")]
    private static partial void LogWarmed(ILogger logger, double milliseconds);
}
