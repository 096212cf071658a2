namespace Cohortly.Modeling.Segmentation.Clustering;

/// <summary>
/// Minimum-cost assignment for rectangular cost matrices: the Hungarian method in its
/// shortest-augmenting-path form with dual potentials (as in Jonker–Volgenant), O(r²·c) for
/// r ≤ c. Every row of the smaller side is assigned to a distinct column of the larger one.
/// </summary>
public static class LinearAssignment
{
    /// <summary>
    /// For each row, the assigned column; −1 for rows left over when there are more rows than columns.
    /// </summary>
    /// <param name="cost">Row-major rows × columns finite costs.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="columns">Number of columns.</param>
    public static int[] Solve(ReadOnlySpan<double> cost, int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (cost.Length != rows * columns)
        {
            throw new ArgumentException($"Expected {rows * columns} costs, got {cost.Length}.", nameof(cost));
        }

        foreach (var c in cost)
        {
            if (!double.IsFinite(c))
            {
                throw new ArgumentException("Costs must be finite; use a large finite cost to forbid a pair.", nameof(cost));
            }
        }

        if (rows == 0 || columns == 0)
        {
            var empty = new int[rows];
            Array.Fill(empty, -1);
            return empty;
        }

        if (rows <= columns)
        {
            return SolveWide(cost, rows, columns);
        }

        // More rows than columns: solve the transpose and invert the mapping.
        var transposed = new double[cost.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                transposed[(c * rows) + r] = cost[(r * columns) + c];
            }
        }

        var columnToRow = SolveWide(transposed, columns, rows);
        var rowToColumn = new int[rows];
        Array.Fill(rowToColumn, -1);
        for (var c = 0; c < columns; c++)
        {
            rowToColumn[columnToRow[c]] = c;
        }

        return rowToColumn;
    }

    /// <summary>Convenience overload for a 2-D array.</summary>
    public static int[] Solve(double[,] cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        var rows = cost.GetLength(0);
        var columns = cost.GetLength(1);
        var flat = new double[rows * columns];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                flat[(r * columns) + c] = cost[r, c];
            }
        }

        return Solve(flat, rows, columns);
    }

    /// <summary>Total cost of an assignment returned by <see cref="Solve(ReadOnlySpan{double}, int, int)"/>.</summary>
    public static double TotalCost(ReadOnlySpan<double> cost, int columns, ReadOnlySpan<int> rowToColumn)
    {
        var total = 0.0;
        for (var r = 0; r < rowToColumn.Length; r++)
        {
            if (rowToColumn[r] >= 0)
            {
                total += cost[(r * columns) + rowToColumn[r]];
            }
        }

        return total;
    }

    // rows ≤ columns. Rows are added one at a time; each addition runs a Dijkstra-like search over
    // reduced costs c(r, col) − rowPotential[r] − columnPotential[col] (kept non-negative on the
    // tree) from the new row to a free column, then flips the alternating path. A virtual column
    // `columns` acts as the root that holds the row being inserted.
    private static int[] SolveWide(ReadOnlySpan<double> cost, int rows, int columns)
    {
        var root = columns;
        var rowPotential = new double[rows];
        var columnPotential = new double[columns + 1];
        var owner = new int[columns + 1];     // row currently matched to each column, −1 if free
        var previous = new int[columns + 1];  // column preceding each column on the shortest path
        var slack = new double[columns + 1];
        var done = new bool[columns + 1];
        Array.Fill(owner, -1);

        for (var row = 0; row < rows; row++)
        {
            owner[root] = row;
            var current = root;
            Array.Fill(slack, double.PositiveInfinity);
            Array.Clear(done);

            // Grow the shortest-path tree until it reaches a free column.
            while (true)
            {
                done[current] = true;
                var r = owner[current];
                var step = double.PositiveInfinity;
                var next = -1;
                for (var col = 0; col < columns; col++)
                {
                    if (done[col])
                    {
                        continue;
                    }

                    var reduced = cost[(r * columns) + col] - rowPotential[r] - columnPotential[col];
                    if (reduced < slack[col])
                    {
                        slack[col] = reduced;
                        previous[col] = current;
                    }

                    if (slack[col] < step)
                    {
                        step = slack[col];
                        next = col;
                    }
                }

                // Shift the potentials so the tree's edges stay tight and the new column becomes tight.
                for (var col = 0; col <= columns; col++)
                {
                    if (done[col])
                    {
                        rowPotential[owner[col]] += step;
                        columnPotential[col] -= step;
                    }
                    else
                    {
                        slack[col] -= step;
                    }
                }

                current = next;
                if (owner[current] < 0)
                {
                    break;
                }
            }

            // Flip the augmenting path back to the root.
            while (current != root)
            {
                var before = previous[current];
                owner[current] = owner[before];
                current = before;
            }
        }

        var result = new int[rows];
        for (var col = 0; col < columns; col++)
        {
            if (owner[col] >= 0)
            {
                result[owner[col]] = col;
            }
        }

        return result;
    }
}
