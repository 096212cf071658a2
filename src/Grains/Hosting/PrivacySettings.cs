using System.ComponentModel.DataAnnotations;

namespace Cohortly.Grains.Hosting;

/// <summary>Data subject rights and retention (Cohortly:Privacy).</summary>
public sealed class PrivacySettings
{
    /// <summary>
    /// How often each silo removes log records past the retention (embedded: day files older than
    /// <c>Training:Retention</c>; cluster: stream entries older than <c>Streams:Retention</c>, exactly). Without it a
    /// quiet log would keep old records: the embedded sweep otherwise runs on the first write of a day, and Redis trims
    /// approximately, on appends only.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RetentionSweep { get; set; } = TimeSpan.FromHours(1);
}
