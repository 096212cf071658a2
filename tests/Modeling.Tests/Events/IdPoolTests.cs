using Cohortly.Contracts;
using Cohortly.Modeling.Events;

namespace Cohortly.Modeling.Tests.Events;

public sealed class IdPoolTests
{
    [Fact]
    public void Equal_values_come_back_as_the_first_instance_and_distinct_values_stay_apart()
    {
        var pool = new IdPool();
        var first = new string("user-1".AsSpan());
        var copy = new string("user-1".AsSpan());
        var other = new string("user-2".AsSpan());
        Assert.NotSame(first, copy);

        Assert.Same(first, pool.Share(first));
        Assert.Same(first, pool.Share(copy));
        Assert.Same(other, pool.Share(other));
        Assert.Equal(2, pool.Count);
    }

    [Fact]
    public void An_interaction_keeps_its_values_and_shares_its_ids_and_device()
    {
        var pool = new IdPool();
        var a = new Interaction(new string("u1".AsSpan()), new string("i1".AsSpan()), InteractionType.Purchase, 9.5, 1000, new string("mobile".AsSpan()));
        var b = new Interaction(new string("u1".AsSpan()), new string("i1".AsSpan()), InteractionType.View, null, 2000, new string("mobile".AsSpan()));
        var noDevice = new Interaction(new string("u1".AsSpan()), new string("i2".AsSpan()), InteractionType.View, null, 3000, null);

        var sa = pool.Share(a);
        var sb = pool.Share(b);
        var sn = pool.Share(noDevice);

        Assert.Equal(a, sa);
        Assert.Equal(b, sb);
        Assert.Equal(noDevice, sn);
        Assert.Same(sa.UserId, sb.UserId);
        Assert.Same(sa.ItemId, sb.ItemId);
        Assert.Same(sa.Device, sb.Device);
        Assert.Same(sa.UserId, sn.UserId);
        Assert.Null(sn.Device);
        Assert.Equal(4, pool.Count);
    }
}
