using Cohortly.Modeling.Data;

namespace Cohortly.Modeling.Tests.Data;

public sealed class SparseMatrixTests
{
    [Fact]
    public void From_coordinates_sorts_rows_and_sums_repeated_pairs()
    {
        var m = SparseMatrix.FromCoordinates(2, 4, [1, 0, 1, 0, 1], [3, 2, 0, 2, 3], [1f, 2f, 3f, 4f, 5f]);

        Assert.Equal([2], m.RowColumns(0).ToArray());
        Assert.Equal([6f], m.RowValues(0).ToArray());
        Assert.Equal([0, 3], m.RowColumns(1).ToArray());
        Assert.Equal([3f, 6f], m.RowValues(1).ToArray());
        Assert.True(m.Contains(1, 3));
        Assert.False(m.Contains(1, 2));
    }

    [Fact]
    public void Transpose_turns_user_items_into_item_users()
    {
        var m = SparseMatrix.FromCoordinates(3, 2, [0, 1, 2, 2], [1, 0, 0, 1], [1f, 2f, 3f, 4f]);

        var t = m.Transpose();

        Assert.Equal((2, 3), (t.Rows, t.Columns));
        Assert.Equal([1, 2], t.RowColumns(0).ToArray());
        Assert.Equal([2f, 3f], t.RowValues(0).ToArray());
        Assert.Equal([0, 2], t.RowColumns(1).ToArray());
    }

    [Fact]
    public void Binary_round_trip_preserves_the_matrix()
    {
        var m = SparseMatrix.FromCoordinates(3, 5, [0, 2, 2], [4, 0, 3], [1.5f, -2f, 3f]);
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            m.Write(w);
        }

        stream.Position = 0;
        using var r = new BinaryReader(stream);
        var back = SparseMatrix.Read(r);

        Assert.Equal(m.RowPointers, back.RowPointers);
        Assert.Equal(m.ColumnIndices, back.ColumnIndices);
        Assert.Equal(m.Values, back.Values);
    }
}
