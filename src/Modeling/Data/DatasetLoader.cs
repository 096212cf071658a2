namespace Cohortly.Modeling.Data;

public enum DatasetFormat
{
    MovieLens100K,
    MovieLens1M,
    MovieLensCsv,
    EventFile,
}

/// <summary>One entry point for the command-line names of the supported formats.</summary>
public static class DatasetLoader
{
    public static DatasetFormat ParseFormat(string name) => name.ToLowerInvariant() switch
    {
        "ml100k" or "ml-100k" => DatasetFormat.MovieLens100K,
        "ml1m" or "ml-1m" => DatasetFormat.MovieLens1M,
        "mlcsv" or "ml-latest" => DatasetFormat.MovieLensCsv,
        "tsv" or "csv" or "events" => DatasetFormat.EventFile,
        _ => throw new ArgumentException($"unknown data format '{name}' (expected ml100k, ml1m, mlcsv or tsv)", nameof(name)),
    };

    public static InteractionDataset Load(DatasetFormat format, string path) => format switch
    {
        DatasetFormat.MovieLens100K => MovieLens100KReader.Read(path),
        DatasetFormat.MovieLens1M => MovieLens1MReader.Read(path),
        DatasetFormat.MovieLensCsv => MovieLensCsvReader.Read(path),
        DatasetFormat.EventFile => EventFileReader.Read(path),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}
