namespace Cohortly.Modeling.Data;

/// <summary>A data file could not be read: says which file, which line (1-based, 0 when not line-specific) and why.</summary>
public sealed class DataFormatException : Exception
{
    public DataFormatException(string file, long line, string reason)
        : base(line > 0 ? $"{file}:{line}: {reason}" : $"{file}: {reason}")
    {
        File = file;
        Line = line;
        Reason = reason;
    }

    public DataFormatException(string file, long line, string reason, Exception innerException)
        : base(line > 0 ? $"{file}:{line}: {reason}" : $"{file}: {reason}", innerException)
    {
        File = file;
        Line = line;
        Reason = reason;
    }

    public string File { get; }

    public long Line { get; }

    public string Reason { get; }
}
