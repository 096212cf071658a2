using System.Diagnostics;
using Cohortly.Grains.Hosting;

namespace Cohortly.Grains.Tests;

public sealed class UserIdRedactionTests
{
    private static readonly UserPseudonyms Pseudonyms = UserPseudonyms.For("trace-key");

    [Fact]
    public void User_ids_in_request_paths_and_user_grain_ids_become_pseudonyms_and_nothing_else_changes()
    {
        var redaction = new UserIdRedaction(Pseudonyms);
        var alice = Pseudonyms.Of("alice");

        Assert.Equal($"/v1/users/{alice}/recommendations", redaction.Redact("/v1/users/alice/recommendations"));
        Assert.Equal($"GET /v1/users/{alice}", redaction.Redact("GET /v1/users/alice"));
        Assert.Equal($"user/{alice}", redaction.Redact("user/alice"));
        Assert.Null(redaction.Redact("GET /v1/users/{userId}/recommendations"));
        Assert.Null(redaction.Redact("/v1/cohorts/3"));
        Assert.Null(redaction.Redact($"user/{alice}"));

        using var activity = new Activity("GET /v1/users/alice").AddTag("url.path", "/v1/users/alice/export").AddTag("rpc.orleans.target_id", "user/alice").AddTag("http.route", "/v1/users/{userId}/export");
        redaction.OnEnd(activity);
        Assert.Equal($"/v1/users/{alice}/export", activity.GetTagItem("url.path"));
        Assert.Equal($"user/{alice}", activity.GetTagItem("rpc.orleans.target_id"));
        Assert.Equal("/v1/users/{userId}/export", activity.GetTagItem("http.route"));
        Assert.Equal($"GET /v1/users/{alice}", activity.DisplayName);
        Assert.DoesNotContain(activity.TagObjects, t => t.Value is string v && v.Contains("alice", StringComparison.Ordinal));
    }
}
