using System.Globalization;

namespace Cohortly.Grains.Training;

/// <summary>
/// Embedded-mode artifacts: models/v{version}.bin under the data directory, written to a temporary file in the
/// same directory and renamed over the target, so a loader sees either nothing or the whole file.
/// </summary>
public sealed class FileModelStore(TrainingDataDirectory directory) : IModelStore
{
    public async Task SaveAsync(long version, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        var path = PathOf(version);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await stream.WriteAsync(bytes, cancellationToken);
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public async Task<byte[]?> LoadAsync(long version, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllBytesAsync(PathOf(version), cancellationToken);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    public Task DeleteAsync(long version, CancellationToken cancellationToken)
    {
        File.Delete(PathOf(version));
        return Task.CompletedTask;
    }

    private string PathOf(long version)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(version);
        return Path.Combine(directory.Models, "v" + version.ToString(CultureInfo.InvariantCulture) + ".bin");
    }
}
