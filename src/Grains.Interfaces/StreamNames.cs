namespace Cohortly.Contracts;

/// <summary>Names shared by producers (gateway) and consumers (user grains) of the event stream.</summary>
public static class StreamNames
{
    /// <summary>The stream provider name registered on silos and clients.</summary>
    public const string Provider = "events";

    /// <summary>Stream namespace; the stream key is the user id, so one user maps to one partition.</summary>
    public const string Interactions = "interactions";

    /// <summary>Grain storage used by the stream infrastructure (pub-sub rendezvous).</summary>
    public const string PubSubStore = "PubSubStore";

    /// <summary>Grain storage for Cohortly's own grains.</summary>
    public const string Storage = "cohortly";
}
