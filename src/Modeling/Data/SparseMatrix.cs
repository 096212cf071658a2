namespace Cohortly.Modeling.Data;

/// <summary>
/// Compressed sparse row matrix with sorted column indices in every row. Used as user→items and, transposed,
/// item→users by the recommenders and the evaluator.
/// </summary>
public sealed class SparseMatrix
{
    public SparseMatrix(int rows, int columns, int[] rowPointers, int[] columnIndices, float[] values)
    {
        ArgumentNullException.ThrowIfNull(rowPointers);
        ArgumentNullException.ThrowIfNull(columnIndices);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (rowPointers.Length != rows + 1 || rowPointers[0] != 0 || rowPointers[rows] != columnIndices.Length || values.Length != columnIndices.Length)
        {
            throw new ArgumentException("inconsistent CSR arrays");
        }

        for (var r = 0; r < rows; r++)
        {
            var prev = -1;
            for (var k = rowPointers[r]; k < rowPointers[r + 1]; k++)
            {
                var c = columnIndices[k];
                if (c <= prev || c >= columns)
                {
                    throw new ArgumentException($"row {r}: column indices must be strictly increasing and below {columns}");
                }

                prev = c;
            }
        }

        Rows = rows;
        Columns = columns;
        RowPointers = rowPointers;
        ColumnIndices = columnIndices;
        Values = values;
    }

    public int Rows { get; }

    public int Columns { get; }

    public int NonZeros => ColumnIndices.Length;

    public int[] RowPointers { get; }

    public int[] ColumnIndices { get; }

    public float[] Values { get; }

    public int RowLength(int row) => RowPointers[row + 1] - RowPointers[row];

    public ReadOnlySpan<int> RowColumns(int row) => ColumnIndices.AsSpan(RowPointers[row], RowPointers[row + 1] - RowPointers[row]);

    public ReadOnlySpan<float> RowValues(int row) => Values.AsSpan(RowPointers[row], RowPointers[row + 1] - RowPointers[row]);

    public bool Contains(int row, int column) => RowColumns(row).BinarySearch(column) >= 0;

    /// <summary>Builds a matrix from coordinates; repeated (row, column) pairs are summed.</summary>
    public static SparseMatrix FromCoordinates(int rows, int columns, ReadOnlySpan<int> rowIndex, ReadOnlySpan<int> columnIndex, ReadOnlySpan<float> values)
    {
        if (rowIndex.Length != columnIndex.Length || values.Length != rowIndex.Length)
        {
            throw new ArgumentException("coordinate arrays must have the same length");
        }

        var counts = new int[rows + 1];
        for (var k = 0; k < rowIndex.Length; k++)
        {
            if ((uint)rowIndex[k] >= (uint)rows || (uint)columnIndex[k] >= (uint)columns)
            {
                throw new ArgumentOutOfRangeException(nameof(rowIndex), $"entry {k} ({rowIndex[k]}, {columnIndex[k]}) is outside {rows}x{columns}");
            }

            counts[rowIndex[k] + 1]++;
        }

        for (var r = 0; r < rows; r++)
        {
            counts[r + 1] += counts[r];
        }

        var next = (int[])counts.Clone();
        var cols = new int[rowIndex.Length];
        var vals = new float[rowIndex.Length];
        for (var k = 0; k < rowIndex.Length; k++)
        {
            var p = next[rowIndex[k]]++;
            cols[p] = columnIndex[k];
            vals[p] = values[k];
        }

        // Sort every row by column and merge duplicates in place.
        var outPtr = new int[rows + 1];
        var w = 0;
        for (var r = 0; r < rows; r++)
        {
            var s = counts[r];
            var len = counts[r + 1] - s;
            var rc = cols.AsSpan(s, len);
            var rv = vals.AsSpan(s, len);
            rc.Sort(rv);
            for (var k = 0; k < len; k++)
            {
                if (w > outPtr[r] && cols[w - 1] == rc[k])
                {
                    vals[w - 1] += rv[k];
                }
                else
                {
                    cols[w] = rc[k];
                    vals[w] = rv[k];
                    w++;
                }
            }

            outPtr[r + 1] = w;
        }

        if (w != cols.Length)
        {
            Array.Resize(ref cols, w);
            Array.Resize(ref vals, w);
        }

        return new SparseMatrix(rows, columns, outPtr, cols, vals);
    }

    /// <summary>User→item matrix of a data set; every stored value becomes 1 when <paramref name="binary"/>.</summary>
    public static SparseMatrix UserItem(InteractionDataset data, bool binary = true)
    {
        ArgumentNullException.ThrowIfNull(data);
        var m = FromCoordinates(data.UserCount, data.ItemCount, data.Users, data.Items, data.Values);
        if (binary)
        {
            Array.Fill(m.Values, 1f);
        }

        return m;
    }

    public SparseMatrix Transpose()
    {
        var ptr = new int[Columns + 1];
        foreach (var c in ColumnIndices)
        {
            ptr[c + 1]++;
        }

        for (var c = 0; c < Columns; c++)
        {
            ptr[c + 1] += ptr[c];
        }

        var next = (int[])ptr.Clone();
        var rowsOut = new int[NonZeros];
        var valsOut = new float[NonZeros];
        for (var r = 0; r < Rows; r++)
        {
            for (var k = RowPointers[r]; k < RowPointers[r + 1]; k++)
            {
                var p = next[ColumnIndices[k]]++;
                rowsOut[p] = r;
                valsOut[p] = Values[k];
            }
        }

        // Rows were visited in increasing order, so every transposed row is already sorted.
        return new SparseMatrix(Columns, Rows, ptr, rowsOut, valsOut);
    }

    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Rows);
        writer.Write(Columns);
        writer.Write(NonZeros);
        BinaryArrays.Write(writer, RowPointers);
        BinaryArrays.Write(writer, ColumnIndices);
        BinaryArrays.Write(writer, Values);
    }

    public static SparseMatrix Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var rows = reader.ReadInt32();
        var cols = reader.ReadInt32();
        var nnz = reader.ReadInt32();
        if (rows < 0 || cols < 0 || nnz < 0)
        {
            throw new InvalidDataException("corrupt sparse matrix header");
        }

        var ptr = BinaryArrays.ReadInt32(reader, rows + 1);
        var idx = BinaryArrays.ReadInt32(reader, nnz);
        var val = BinaryArrays.ReadSingle(reader, nnz);
        return new SparseMatrix(rows, cols, ptr, idx, val);
    }
}
