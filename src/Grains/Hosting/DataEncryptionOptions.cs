using Cohortly.Modeling.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Hosting;

/// <summary>
/// <c>Cohortly:DataEncryption</c>: encryption at rest of the embedded data directory's event and attribute files
/// (<see cref="EventFileCodec"/>). <see cref="ActiveKey"/> names the key new lines are sealed with (empty: written
/// plain); <see cref="Keys"/> holds every key lines may be opened with, by id, each the base64 of 32 random bytes.
/// Rotation: add the new key, make it active, keep the old one until no file sealed under it remains (event files
/// age out after <c>Cohortly:Training:Retention</c>; attribute files are re-sealed with the active key when folded).
/// </summary>
public sealed class DataEncryptionOptions
{
    public const string Section = "Cohortly:DataEncryption";

    public string? ActiveKey { get; set; }

    public Dictionary<string, string> Keys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Whether plain (unencrypted) lines are still read. True by default so a directory written before encryption was
    /// turned on keeps training; set false once no plain file is left, so a plain line slipped into a file is refused
    /// and counted instead of trained on.
    /// </summary>
    public bool AcceptPlain { get; set; } = true;

    /// <summary>The validated keys (call after <see cref="DataEncryptionOptionsValidator"/> passed).</summary>
    public EventFileKeys ToKeys()
    {
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (id, value) in Keys)
        {
            keys[id] = Convert.FromBase64String(value);
        }

        return new EventFileKeys(string.IsNullOrWhiteSpace(ActiveKey) ? null : ActiveKey, keys, AcceptPlain);
    }

    /// <summary>Binds and validates the section at start and registers the one <see cref="EventFileCodec"/> of the process.</summary>
    public static void Register(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<DataEncryptionOptions>().Bind(configuration.GetSection(Section)).ValidateOnStart();
        // Only an in-process backend writes the log files this encrypts; elsewhere the setting would protect nothing.
        var filesLog = CohortlyBackend.From(configuration).InProcess;
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DataEncryptionOptions>>(new DataEncryptionOptionsValidator(filesLog)));
        services.TryAddSingleton(sp => new EventFileCodec(sp.GetRequiredService<IOptions<DataEncryptionOptions>>().Value.ToKeys()));
    }
}

/// <summary>
/// Every message names the setting; key values are never echoed (only their decoded length). With a backend that
/// keeps no log files (<paramref name="filesLog"/> false: Redis) an active key is refused, so nobody believes the
/// Redis streams are encrypted by it.
/// </summary>
public sealed class DataEncryptionOptionsValidator(bool filesLog = true) : IValidateOptions<DataEncryptionOptions>
{
    public ValidateOptionsResult Validate(string? name, DataEncryptionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var (id, value) in options.Keys)
        {
            var setting = $"{DataEncryptionOptions.Section}:Keys:{id}";
            if (!EventFileKeys.IsValidKeyId(id))
            {
                failures.Add($"{setting}: a key id is 1–{EventFileKeys.MaxKeyIdLength} letters, digits, '-' or '_' (it is written into every sealed line).");
                continue;
            }

            var bytes = new byte[((value?.Length ?? 0) * 3 / 4) + 3];
            if (string.IsNullOrWhiteSpace(value) || !Convert.TryFromBase64String(value, bytes, out var length))
            {
                failures.Add($"{setting} is not base64; expected the base64 of {EventFileKeys.KeyBytes} random bytes (openssl rand -base64 {EventFileKeys.KeyBytes}).");
            }
            else if (length != EventFileKeys.KeyBytes)
            {
                failures.Add($"{setting} decodes to {length} bytes; expected {EventFileKeys.KeyBytes} (AES-256: openssl rand -base64 {EventFileKeys.KeyBytes}).");
            }

            Array.Clear(bytes);
        }

        if (!string.IsNullOrWhiteSpace(options.ActiveKey) && !options.Keys.ContainsKey(options.ActiveKey))
        {
            failures.Add($"{DataEncryptionOptions.Section}:ActiveKey '{options.ActiveKey}' is not one of {DataEncryptionOptions.Section}:Keys ({(options.Keys.Count == 0 ? "none configured" : string.Join(", ", options.Keys.Keys))}).");
        }

        if (!options.AcceptPlain && string.IsNullOrWhiteSpace(options.ActiveKey))
        {
            failures.Add($"{DataEncryptionOptions.Section}:AcceptPlain is false but no ActiveKey is set: every new line would be written plain and then refused.");
        }

        if (!filesLog && !string.IsNullOrWhiteSpace(options.ActiveKey))
        {
            failures.Add($"{DataEncryptionOptions.Section}:ActiveKey is set but the backend keeps its event log in Redis, which this setting does not encrypt: use Cohortly:Redis:Tls and an encrypted volume for Redis' files, and remove {DataEncryptionOptions.Section}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
