using System.Security.Cryptography;
using System.Text;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// Keyed pseudonyms for user ids in log messages: the first 8 bytes of HMAC-SHA256(key, id) in hex. The same id
/// gives the same pseudonym under one key, so log lines about one user can still be correlated, but without the
/// key nobody can test a guessed id against it. The key is <c>Cohortly:PseudonymKey</c>; without it each process
/// draws a random key, so pseudonyms do not match across processes or restarts.
/// </summary>
public sealed class UserPseudonyms
{
    private static readonly Lazy<UserPseudonyms> ProcessKey = new(() => new UserPseudonyms(RandomNumberGenerator.GetBytes(32)));
    private readonly byte[] _key;

    private UserPseudonyms(byte[] key) => _key = key;

    /// <summary>The pseudonyms under <paramref name="key"/>, or under this process's random key when it is empty.</summary>
    public static UserPseudonyms For(string? key) =>
        string.IsNullOrEmpty(key) ? ProcessKey.Value : new UserPseudonyms(Encoding.UTF8.GetBytes(key));

    public string Of(string userId)
    {
        ArgumentNullException.ThrowIfNull(userId);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(userId), mac);
        return "user~" + Convert.ToHexStringLower(mac[..8]);
    }

    /// <summary>The pseudonym as its own type: what a <c>[LoggerMessage]</c> parameter about a user must be (PseudonymisedLogsTests).</summary>
    public UserPseudonym Pseudonym(string userId) => new(Of(userId));

    /// <summary>A stream id with its key (a user id on the interactions stream) replaced by its pseudonym.</summary>
    public string Of(StreamId stream) => $"{stream.GetNamespace()}/{Of(stream.GetKeyAsString())}";
}

/// <summary>
/// A user id's keyed pseudonym, typed so that a log method cannot be handed the id itself: every <c>[LoggerMessage]</c>
/// parameter named after a user takes this type (checked by a test over every Cohortly assembly).
/// </summary>
public readonly record struct UserPseudonym(string Value)
{
    public override string ToString() => Value;
}
