using Cohortly.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cohortly.Grains.Users;

/// <summary>Data subject rights: erasure, export, consent. The work is in <see cref="UserPrivacy"/> and <c>UserState</c>.</summary>
public sealed partial class UserGrain
{
    /// <summary>Resolved per call: these calls are rare, and an activation should not carry a field for them.</summary>
    private UserPrivacy Privacy => ServiceProvider.GetRequiredService<UserPrivacy>();

    public async Task<UserErasureResult> Erase()
    {
        NotTimed();
        var result = await Privacy.EraseAsync(UserId, state.State, keepServing: false, CancellationToken.None);
        // Saved at once, through the one save path (never overtaking a write in flight): the tombstone must be
        // durable before the caller is told the user is gone.
        _dirty = true;
        await Persist(CancellationToken.None);
        LogErased(services.Logger, services.Pseudonyms.Pseudonym(UserId), result.LogEvents, result.ProfileEvents);
        return result;
    }

    public async Task<UserDataExport> Export()
    {
        var profile = await GetProfile();
        return await Privacy.ExportAsync(UserId, state.State, profile, CancellationToken.None);
    }

    public async Task<UserConsentView> SetConsent(bool personalization)
    {
        NotTimed();
        var s = state.State;
        if (personalization != s.PersonalizationWithheld)
        {
            // Already as asked: nothing to change or remove.
            return new UserConsentView(UserId, personalization, 0, 0);
        }

        // Withdrawing: what was collected for personalization goes. Restoring: what the log kept while consent was
        // withheld goes (cluster mode: the stream entries that carried those events to the grain), so nothing from
        // that time is trained on later. Either way the responses and event ids stay, so outcomes of what was served
        // are still counted and a client retry is still recognised.
        var erased = await Privacy.EraseAsync(UserId, s, keepServing: true, CancellationToken.None);
        var profileEvents = erased.ProfileEvents;
        var logEvents = erased.LogEvents;
        s.PersonalizationWithheld = !personalization;
        await Privacy.SetWithheldAsync(UserId, !personalization, CancellationToken.None);
        _dirty = true;
        await Persist(CancellationToken.None);
        return new UserConsentView(UserId, personalization, profileEvents, logEvents);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "User {User} erased: {LogEvents} logged events and a profile of {ProfileEvents} events removed")]
    private static partial void LogErased(ILogger logger, Hosting.UserPseudonym user, long logEvents, long profileEvents);
}
