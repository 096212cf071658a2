namespace Cohortly.Modeling.Segmentation;

/// <summary>
/// Dense row-major matrix of feature vectors (one row per user). One flat array keeps
/// the hot loops on spans and avoids a jagged allocation per row.
/// </summary>
public sealed class FeatureMatrix
{
    public FeatureMatrix(int rows, int columns)
        : this(new float[checked(rows * columns)], rows, columns)
    {
    }

    public FeatureMatrix(float[] values, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        if (values.Length != rows * columns)
        {
            throw new ArgumentException($"expected {rows * columns} values for {rows}x{columns}, got {values.Length}", nameof(values));
        }

        Values = values;
        Rows = rows;
        Columns = columns;
    }

    public float[] Values { get; }

    public int Rows { get; }

    public int Columns { get; }

    public Span<float> Row(int row) => Values.AsSpan(row * Columns, Columns);

    public ReadOnlySpan<float> ReadRow(int row) => Values.AsSpan(row * Columns, Columns);

    public static FeatureMatrix FromRows(IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            throw new ArgumentException("at least one row is required", nameof(rows));
        }

        var columns = rows[0].Length;
        var m = new FeatureMatrix(rows.Count, columns);
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Length != columns)
            {
                throw new ArgumentException($"row {i} has {rows[i].Length} values, expected {columns}", nameof(rows));
            }

            rows[i].CopyTo(m.Row(i));
        }

        return m;
    }
}
