using Cohortly.Demo.Synthetic;

namespace Cohortly.Modeling.Tests.World;

public sealed class SyntheticWorldTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void A_catalog_with_fewer_categories_than_a_window_shopper_likes_still_builds(int categories)
    {
        var world = SyntheticWorld.Create(new SyntheticWorldOptions { Users = 20, Items = 30, Categories = categories }, seed: 3);

        Assert.Equal(20, world.Users.Count);
        Assert.All(world.Users, u => Assert.InRange(u.FavoriteCategories.Count, 1, categories));
        Assert.All(world.Users, u => Assert.Equal(u.FavoriteCategories.Count, u.FavoriteCategories.Distinct().Count()));
    }
}
