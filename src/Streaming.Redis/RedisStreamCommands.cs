using StackExchange.Redis;

namespace Cohortly.Streaming.Redis;

/// <summary>Redis commands the client library does not expose in the shape needed here.</summary>
internal static class RedisStreamCommands
{
    /// <summary>Name of the entry field that links an entry to the previous entry of the same stream.</summary>
    public static readonly RedisValue PreviousField = "prev";

    // KEYS[1] partition stream, KEYS[2] its heads hash. ARGV[1] the stream's field in the hash,
    // ARGV[2] trimming ('MINID', 'MAXLEN' or ''), ARGV[3] its threshold, ARGV[4..] field/value pairs.
    // Reading the head, appending and moving the head happen in one script, so the chain of a stream's
    // entries has no gaps and no forks however many producers append at once.
    private const string AppendScript = """
        local prev = redis.call('HGET', KEYS[2], ARGV[1]) or ''
        local args = {'XADD', KEYS[1]}
        if ARGV[2] ~= '' then
          args[#args + 1] = ARGV[2]
          args[#args + 1] = '~'
          args[#args + 1] = ARGV[3]
        end
        args[#args + 1] = '*'
        args[#args + 1] = 'prev'
        args[#args + 1] = prev
        for i = 4, #ARGV do
          args[#args + 1] = ARGV[i]
        end
        local id = redis.call(unpack(args))
        redis.call('HSET', KEYS[2], ARGV[1], id)
        return id
        """;

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
        return ToEntryId(result);
    }

    private static readonly byte[] AppendScriptHash = System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(AppendScript));

    /// <summary>
    /// Appends one entry (<c>XADD key [MINID|MAXLEN ~ threshold] * prev &lt;previous id&gt; field value …</c>)
    /// and records it as its stream's newest entry, returning the id Redis assigned. <c>prev</c> is the
    /// id of the stream's previous entry (empty for its first), so a consumer that sees an entry whose
    /// <c>prev</c> it has not applied knows exactly which entries it missed and can read them back.
    /// </summary>
    public static async Task<RedisEntryId> AppendChainedAsync(
        IDatabase database,
        RedisKey key,
        RedisKey heads,
        RedisValue headField,
        ReadOnlyMemory<NameValueEntry> fields,
        RedisStreamTrimming trimming,
        RedisEntryId retentionMinId,
        long maxLength)
    {
        var args = new RedisValue[3 + (fields.Length * 2)];
        args[0] = headField;
        (args[1], args[2]) = trimming switch
        {
            RedisStreamTrimming.Retention => ((RedisValue)"MINID", (RedisValue)retentionMinId.ToString()),
            RedisStreamTrimming.MaxLength => ((RedisValue)"MAXLEN", (RedisValue)maxLength),
            _ => ((RedisValue)string.Empty, (RedisValue)string.Empty),
        };

        var i = 3;
        foreach (var field in fields.Span)
        {
            args[i++] = field.Name;
            args[i++] = field.Value;
        }

        RedisResult result;
        try
        {
            // EVALSHA with the hash computed once: passing the script text made the client hash ~600 characters
            // on every append.
            result = await database.ScriptEvaluateAsync(AppendScriptHash, [key, heads], args).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // First use on this server (or after a restart or SCRIPT FLUSH): EVAL loads it.
            result = await database.ScriptEvaluateAsync(AppendScript, [key, heads], args).ConfigureAwait(false);
        }

        return ToEntryId(result);
    }

    private static RedisEntryId ToEntryId(RedisResult result)
    {
        var text = result.ToString();
        return RedisEntryId.TryParse(text, out var id)
            ? id
            : throw new InvalidOperationException($"XADD returned '{text}', which is not a stream entry id.");
    }

    /// <summary>
    /// Parses the <c>prev</c> field of an entry: the previous entry of the same stream,
    /// <see cref="RedisEntryId.Zero"/> for a stream's first entry, or null when the entry has no link
    /// (written before links existed) and nothing can be said about what came before it.
    /// </summary>
    public static RedisEntryId? ParsePrevious(RedisValue value)
    {
        if (value.IsNull)
        {
            return null;
        }

        var text = value.ToString();
        return text.Length == 0 ? RedisEntryId.Zero : RedisEntryId.TryParse(text, out var id) ? id : null;
    }
}
