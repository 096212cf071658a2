using Cohortly.Modeling.Exploration;
using Cohortly.TestSupport;

namespace Cohortly.Modeling.Tests.Exploration;

public sealed class RequestRandomTests
{
    private static double[] Draws(Random random, int count)
    {
        var draws = new double[count];
        for (var i = 0; i < count; i++)
        {
            draws[i] = random.NextDouble();
        }

        return draws;
    }

    [Fact]
    public void The_same_seed_gives_the_same_sequence_and_the_thread_instance_equals_a_fresh_one()
    {
        var fresh = Draws(new RequestRandom(12345), 50);

        Assert.Equal(fresh, Draws(new RequestRandom(12345), 50));
        Assert.Equal(fresh, Draws(RequestRandom.For(12345), 50));
        // A re-seed in the middle of a sequence starts it over.
        _ = Draws(RequestRandom.For(7), 13);
        Assert.Equal(fresh, Draws(RequestRandom.For(12345), 50));
    }

    [Fact]
    public void Neighbouring_seeds_give_unrelated_sequences()
    {
        var seeds = new[] { 0, 1, 2, -1, int.MaxValue, int.MinValue };
        var firsts = seeds.Select(s => Draws(new RequestRandom(s), 4)).ToList();

        for (var a = 0; a < firsts.Count; a++)
        {
            for (var b = a + 1; b < firsts.Count; b++)
            {
                Assert.NotEqual(firsts[a], firsts[b]);
            }
        }
    }

    [Fact]
    public void Draws_are_uniform_in_range()
    {
        var random = new RequestRandom(99);
        var buckets = new int[10];
        const int N = 200_000;
        for (var i = 0; i < N; i++)
        {
            var d = random.NextDouble();
            Assert.InRange(d, 0, 0.9999999999999999);
            buckets[(int)(d * 10)]++;
            var k = random.Next(7);
            Assert.InRange(k, 0, 6);
            Assert.InRange(random.Next(-3, 3), -3, 2);
        }

        // Each decile within 3 % of N / 10 (the binomial standard deviation is 0.7 % of it).
        Assert.All(buckets, count => Assert.InRange(count, N / 10 * 0.97, N / 10 * 1.03));
        var counts = new int[7];
        for (var i = 0; i < 70_000; i++)
        {
            counts[random.Next(7)]++;
        }

        Assert.All(counts, count => Assert.InRange(count, 9_500, 10_500));
        Assert.Equal(0, random.Next(1));
        Assert.Equal(5, random.Next(5, 5));
    }

    [Fact]
    public void Reseeding_the_thread_instance_allocates_nothing()
    {
        RequestRandom.For(1).NextDouble();

        var bytes = Allocations.FewestBytes(() =>
        {
            for (var seed = 0; seed < 1000; seed++)
            {
                RequestRandom.For(seed).NextDouble();
            }
        });

        Assert.Equal(0, bytes);
        Assert.True(Allocations.FewestBytes(() => _ = new Random(3).NextDouble()) > 0, "the legacy seeded generator allocates (the comparison this replaces)");
    }
}
