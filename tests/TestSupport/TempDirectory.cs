using System.Text;

namespace Cohortly.TestSupport;

/// <summary>A directory of its own under the temp path, deleted (best effort) when the test disposes it.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cohortly-tests", Guid.NewGuid().ToString("N"));

    public TempDirectory() => Directory.CreateDirectory(Path);

    /// <summary>Writes <paramref name="content"/> to the file <paramref name="name"/> in the directory (UTF-8 without BOM unless given); returns its path.</summary>
    public string Write(string name, string content, Encoding? encoding = null)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllText(file, content, encoding ?? new UTF8Encoding(false));
        return file;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory must not fail a test.
        }
    }
}
