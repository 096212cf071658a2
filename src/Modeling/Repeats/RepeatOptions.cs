using System.ComponentModel.DataAnnotations;

namespace Cohortly.Modeling.Repeats;

/// <summary>
/// How repeat cycles are learned and when a repeat item is due (bound from Cohortly:Training:Repeats; the serving
/// thresholds travel in the bundle so every silo decides alike).
/// </summary>
public sealed record RepeatOptions
{
    /// <summary>
    /// Purchases of one item by one user closer than this are one purchase (a basket split over a session or a
    /// quantity sent as several events), not a repeat.
    /// </summary>
    public TimeSpan SameVisit { get; init; } = TimeSpan.FromHours(12);

    /// <summary>
    /// Prior strength, in users who re-bought, pulling an item's interval towards its category's and a category's
    /// towards the global one (on the log scale): an item re-bought by this many users sits halfway between its median
    /// and the prior.
    /// </summary>
    [Range(0, 1000)]
    public double PriorRepeaters { get; init; } = 5;

    /// <summary>A user's own cycle for an item is used once they have this many gaps of it (else the catalog's).</summary>
    [Range(1, 1000)]
    public int MinUserGaps { get; init; } = 2;

    /// <summary>Prior strength, in gaps, pulling a user's own cycle towards the catalog's interval for the item.</summary>
    [Range(0, 1000)]
    public double UserPriorGaps { get; init; } = 1;

    /// <summary>An item is due once this share of its interval has passed since the last purchase.</summary>
    [Range(0.05, 10)]
    public double DueFraction { get; init; } = 0.8;

    /// <summary>
    /// After this many intervals without a repeat the user is taken to have stopped buying the item (lapsed), and it is
    /// no longer offered as due.
    /// </summary>
    [Range(1, 1000)]
    public double LapseFactor { get; init; } = 3;

    public void Validate()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            throw new ArgumentException($"invalid repeat options: {results[0].ErrorMessage}");
        }

        if (SameVisit < TimeSpan.Zero || SameVisit > TimeSpan.FromDays(30))
        {
            throw new ArgumentException("invalid repeat options: SameVisit must be between 00:00:00 and 30.00:00:00");
        }

        if (LapseFactor < DueFraction)
        {
            throw new ArgumentException("invalid repeat options: LapseFactor must be at least DueFraction");
        }
    }
}
