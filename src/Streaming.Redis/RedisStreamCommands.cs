using StackExchange.Redis;

namespace Cohortly.Streaming.Redis;

/// <summary>Redis commands the client library does not expose in the shape needed here.</summary>
internal static class RedisStreamCommands
{
    /// <summary>
    /// <c>XADD key [MINID|MAXLEN ~ threshold] * field value …</c>, returning the id Redis assigned.
    /// Issued raw because the client's <c>StreamAdd</c> has no <c>MINID</c> trimming.
    /// </summary>
    public static async Task<RedisEntryId> AddAsync(
        IDatabase database,
        RedisKey key,
        ReadOnlyMemory<NameValueEntry> fields,
        RedisStreamTrimming trimming,
        RedisEntryId retentionMinId,
        long maxLength)
    {
        var args = new List<object>(6 + (fields.Length * 2)) { key };
        switch (trimming)
        {
            case RedisStreamTrimming.Retention:
                args.Add("MINID");
                args.Add("~");
                args.Add(retentionMinId.ToString());
                break;
            case RedisStreamTrimming.MaxLength:
                args.Add("MAXLEN");
                args.Add("~");
                args.Add(maxLength);
                break;
        }

        args.Add("*");
        foreach (var field in fields.Span)
        {
            args.Add(field.Name);
            args.Add(field.Value);
        }

        var result = await database.ExecuteAsync("XADD", args).ConfigureAwait(false);
        var text = result.ToString();
        return RedisEntryId.TryParse(text, out var id)
            ? id
            : throw new InvalidOperationException($"XADD returned '{text}', which is not a stream entry id.");
    }
}
