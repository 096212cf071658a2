using Cohortly.Grains.Hosting;
using Orleans.Runtime;

namespace Cohortly.Grains.Tests;

public sealed class UserPseudonymsTests
{
    [Fact]
    public void A_user_id_has_one_pseudonym_per_key_that_does_not_reveal_it()
    {
        var a = UserPseudonyms.For("key-one");
        var again = UserPseudonyms.For("key-one");
        var b = UserPseudonyms.For("key-two");

        Assert.Equal(a.Of("alice@example.com"), again.Of("alice@example.com"));
        Assert.NotEqual(a.Of("alice@example.com"), a.Of("bob@example.com"));
        Assert.NotEqual(a.Of("alice@example.com"), b.Of("alice@example.com"));
        Assert.DoesNotContain("alice", a.Of("alice@example.com"), StringComparison.Ordinal);
        Assert.Matches("^user~[0-9a-f]{16}$", a.Of("alice@example.com"));
    }

    [Fact]
    public void Without_a_key_the_process_key_is_random_but_stable()
    {
        Assert.Equal(UserPseudonyms.For(null).Of("u1"), UserPseudonyms.For("").Of("u1"));
        Assert.NotEqual(UserPseudonyms.For(null).Of("u1"), UserPseudonyms.For("u1").Of("u1"));
    }

    [Fact]
    public void A_stream_id_keeps_its_namespace_and_hides_its_key()
    {
        var pseudonyms = UserPseudonyms.For("k");
        var described = pseudonyms.Of(StreamId.Create("interactions", "alice"));
        Assert.Equal("interactions/" + pseudonyms.Of("alice"), described);
    }
}
