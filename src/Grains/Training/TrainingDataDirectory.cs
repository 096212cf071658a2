using Cohortly.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace Cohortly.Grains.Training;

/// <summary>
/// Where the embedded interaction log and model files live. A configured directory is used as is and kept;
/// without one, each silo gets a fresh directory under the OS temp directory (service, process id and a random
/// suffix, so parallel test hosts in one process never share files), deleted on dispose. The embedded backend
/// creates it as the silo starts, so a directory that cannot be created stops the start with the setting's name.
/// </summary>
public sealed class TrainingDataDirectory : IDisposable
{
    public TrainingDataDirectory(IOptions<CohortlyOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var configured = options.Value.Training.DataDirectory;
        IsTemporary = string.IsNullOrWhiteSpace(configured);
        Root = IsTemporary
            ? System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cohortly", $"{options.Value.ServiceId}-{Environment.ProcessId}-{Guid.NewGuid():N}")
            : System.IO.Path.GetFullPath(configured!);
        try
        {
            Directory.CreateDirectory(Root);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new OptionsValidationException(nameof(CohortlyOptions), typeof(CohortlyOptions), [$"Cohortly:Training:DataDirectory '{Root}' does not exist and cannot be created: {ex.Message}"]);
        }
    }

    public string Root { get; }

    public bool IsTemporary { get; }

    public string Events => Sub("events");

    public string Models => Sub("models");

    public void Dispose()
    {
        if (IsTemporary)
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A leftover temp directory is harmless; the OS cleans its temp directory.
            }
        }
    }

    private string Sub(string name)
    {
        var path = System.IO.Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        return path;
    }
}
