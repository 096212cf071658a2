using Cohortly.Modeling.Segmentation;
using Cohortly.Modeling.Segmentation.Clustering;

namespace Cohortly.Modeling.Tests.Clustering;

public sealed class StableIdentityTests
{
    [Fact]
    public void Hungarian_matches_brute_force_on_random_rectangular_matrices()
    {
        var random = new Random(10);
        for (var trial = 0; trial < 300; trial++)
        {
            var rows = random.Next(1, 7);
            var columns = random.Next(1, 7);
            var cost = new double[rows * columns];
            for (var i = 0; i < cost.Length; i++)
            {
                // Small integers make ties common, which is where assignment bugs hide.
                cost[i] = trial % 2 == 0 ? random.Next(0, 5) : random.NextDouble() * 100;
            }

            var assignment = LinearAssignment.Solve(cost, rows, columns);

            Assert.Equal(rows, assignment.Length);
            var used = assignment.Where(c => c >= 0).ToArray();
            Assert.Equal(Math.Min(rows, columns), used.Length);
            Assert.Equal(used.Length, used.Distinct().Count());
            Assert.Equal(BruteForce(cost, rows, columns), LinearAssignment.TotalCost(cost, columns, assignment), 1e-9);
        }
    }

    [Fact]
    public void Hungarian_solves_a_textbook_square_case()
    {
        // Optimal: row0→col1 (1), row1→col0 (2), row2→col2 (2) = 5.
        var assignment = LinearAssignment.Solve(new double[,] { { 4, 1, 3 }, { 2, 0, 5 }, { 3, 2, 2 } });

        Assert.Equal([1, 0, 2], assignment);
    }

    [Fact]
    public void Reclustered_centroids_keep_their_ids_and_extra_clusters_get_fresh_ones()
    {
        var previous = FeatureMatrix.FromRows([[0f, 0f], [10f, 0f], [0f, 10f]]);
        int[] previousIds = [7, 3, 9];
        // Same clusters, moved a little and reordered, plus a new one far away.
        var current = FeatureMatrix.FromRows([[0.5f, 9.5f], [20f, 20f], [0.2f, -0.3f], [9.6f, 0.4f]]);

        var mapping = ClusterIdentity.Match(previous, previousIds, current, nextFreshId: 10);

        Assert.Equal([9, 10, 7, 3], mapping.StableIds);
        Assert.Equal([10], mapping.FreshIds);
        Assert.Empty(mapping.VanishedIds);
        Assert.Equal(11, mapping.NextFreshId);
        Assert.Equal(0, mapping.Matches[2].PreviousIndex);
        Assert.Null(mapping.Matches[1].PreviousIndex);
        Assert.Equal(Math.Sqrt(0.2 * 0.2 + 0.3 * 0.3), mapping.Matches[2].Distance!.Value, 1e-6);
    }

    [Fact]
    public void Clusters_that_disappear_are_reported()
    {
        var previous = FeatureMatrix.FromRows([[0f, 0f], [10f, 0f], [0f, 10f]]);
        var current = FeatureMatrix.FromRows([[9f, 1f], [1f, 1f]]);

        var mapping = ClusterIdentity.Match(previous, [1, 2, 3], current, nextFreshId: 4);

        Assert.Equal([2, 1], mapping.StableIds);
        Assert.Equal([3], mapping.VanishedIds);
        Assert.Empty(mapping.FreshIds);
        Assert.Equal(4, mapping.NextFreshId);
    }

    [Fact]
    public void Distance_limit_turns_a_far_pair_into_vanished_plus_fresh()
    {
        var previous = FeatureMatrix.FromRows([[0f, 0f], [10f, 0f]]);
        var current = FeatureMatrix.FromRows([[0.5f, 0f], [50f, 50f]]);

        var unlimited = ClusterIdentity.Match(previous, [1, 2], current, 3);
        var limited = ClusterIdentity.Match(previous, [1, 2], current, 3, maxMatchDistance: 5);

        Assert.Equal([1, 2], unlimited.StableIds);
        Assert.Equal([1, 3], limited.StableIds);
        Assert.Equal([2], limited.VanishedIds);
        Assert.Equal([3], limited.FreshIds);
    }

    [Fact]
    public void Transition_matrix_counts_and_normalizes_rows()
    {
        int[] before = [1, 1, 1, 1, 2, 2, 5];
        int[] after = [1, 1, 1, 2, 2, 2, 2];

        var t = ClusterTransitions.Compute(before, after);

        Assert.Equal([1, 2, 5], t.FromLabels);
        Assert.Equal([1, 2], t.ToLabels);
        Assert.Equal([3L, 1L, 0L, 2L, 0L, 1L], t.Counts);
        Assert.Equal(0.75, t.Share(1, 1), 1e-12);
        Assert.Equal(0.25, t.Share(1, 2), 1e-12);
        Assert.Equal(1.0, t.Share(5, 2), 1e-12);
        Assert.Equal(0, t.Count(5, 1));
        Assert.Equal(5.0 / 7, t.UnchangedShare, 1e-12);
    }

    private static double BruteForce(double[] cost, int rows, int columns)
    {
        var best = double.PositiveInfinity;
        var usedColumns = new bool[columns];
        var usedRows = new bool[rows];
        var target = Math.Min(rows, columns);

        // Enumerate injective maps from the smaller side into the larger one.
        void Recurse(int index, int placed, double sum)
        {
            if (placed == target)
            {
                best = Math.Min(best, sum);
                return;
            }

            if (rows <= columns)
            {
                for (var c = 0; c < columns; c++)
                {
                    if (!usedColumns[c])
                    {
                        usedColumns[c] = true;
                        Recurse(index + 1, placed + 1, sum + cost[(index * columns) + c]);
                        usedColumns[c] = false;
                    }
                }
            }
            else
            {
                for (var r = 0; r < rows; r++)
                {
                    if (!usedRows[r])
                    {
                        usedRows[r] = true;
                        Recurse(index + 1, placed + 1, sum + cost[(r * columns) + index]);
                        usedRows[r] = false;
                    }
                }
            }
        }

        Recurse(0, 0, 0);
        return best;
    }
}
