namespace Cohortly.Streaming.Redis.Tests;

[GenerateSerializer]
[Immutable]
[Alias("cohortly.tests.probe-event")]
public sealed record ProbeEvent(
    [property: Id(0)] string StreamKey,
    [property: Id(1)] int Sequence);

[GenerateSerializer]
[Immutable]
[Alias("cohortly.tests.received-event")]
public sealed record ReceivedEvent(
    [property: Id(0)] int Sequence,
    [property: Id(1)] RedisStreamPosition Position,
    [property: Id(2)] long TokenSequenceNumber);
