using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Cohortly.Grains.Tests;

/// <summary>The rules that find user ids in any library's text (<see cref="UserIdScrubber"/>) and the logger factory that applies them.</summary>
public sealed class UserIdLogRedactionTests
{
    private static readonly UserPseudonyms Pseudonyms = UserPseudonyms.For("log-key");
    private static readonly UserIdScrubber Scrubber = new(Pseudonyms);
    private static readonly string Activation = "@" + new string('a', 16) + new string('7', 16);

    [Theory]
    [InlineData("Request starting HTTP/1.1 GET http://localhost/v1/users/{0}/recommendations?count=3 - - -", "ann.lee+x@mail.example")]
    [InlineData("Request starting HTTP/1.1 GET http://localhost/v1/users/{0} - - -", "ann.lee+x@mail.example")]
    [InlineData("[Activation: S127.0.0.1:11111:99/user/{0}{1} #GrainType=Cohortly.Grains.Users.UserGrain State=Valid]", "ann.lee+x@mail.example")]
    [InlineData("[GrainAddress GrainId user/{0}, ActivationId: {1}, SiloAddress: S127.0.0.1:11111:99]", "bob")]
    [InlineData("ReadStateAsync for grain: user/user/{0}", "bob")]
    [InlineData("Deactivating user/{0}.", "bob")]
    [InlineData("Stream events/interactions/{0} delivered to user/{0}", "carol")]
    [InlineData("(user/{0})", "dave")]
    [InlineData("Request [S127.0.0.1:11111:99 user/{0}]->[S127.0.0.1:11111:99 memorystorage/17] ReadStateAsync #337C", "ann.lee+x@mail.example")]
    [InlineData("Request [S127.0.0.1:11111:99 user/{0}]->[ memorystorage/17] WriteStateAsync", "ann->b")]
    [InlineData("Response [S127.0.0.1:11111:99 memorystorage/17]->[S127.0.0.1:11111:99 user/{0}] [null] #337C", "ann")]
    public void A_user_id_in_framework_text_becomes_the_pseudonym_UserPseudonym_gives(string format, string id)
    {
        var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, id, Activation);

        var scrubbed = Scrubber.Scrub(text);

        Assert.NotNull(scrubbed);
        Assert.DoesNotContain(id, scrubbed, StringComparison.Ordinal);
        Assert.Contains(Pseudonyms.Of(id), scrubbed, StringComparison.Ordinal);
        // What surrounds the id is kept (the activation, the query, the separators).
        Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, format, Pseudonyms.Of(id), Activation), scrubbed);
    }

    [Fact]
    public void A_percent_encoded_path_is_hashed_as_the_id_it_encodes()
    {
        Assert.Equal($"GET /v1/users/{Pseudonyms.Of("jürgen@x")}/export", Scrubber.Scrub("GET /v1/users/j%C3%BCrgen%40x/export"));
    }

    [Theory]
    [InlineData("Executing endpoint 'HTTP: GET /v1/users/{userId}/recommendations'")]
    [InlineData("Grain poweruser/alice and myinteractions/bob are not users")]
    [InlineData("Request starting HTTP/1.1 GET http://localhost/v1/cohorts/3")]
    [InlineData("Activated cohort/3 and segmentation/current")]
    [InlineData("")]
    public void Text_without_a_user_id_is_left_alone(string text)
    {
        Assert.Null(Scrubber.Scrub(text));
    }

    [Fact]
    public void An_exact_id_from_a_typed_value_of_the_same_entry_decides_where_the_id_ends_in_the_text()
    {
        List<string>? known = null;
        UserIdScrubber.CollectKnown(GrainId.Create("user", "a=b"), ref known);
        UserIdScrubber.CollectKnown(GrainId.Create("cohort", "3"), ref known);

        Assert.Equal(["a=b"], known);
        Assert.Equal($"FullLookup mine user/{Pseudonyms.Of("a=b")}=none", Scrubber.Scrub("FullLookup mine user/a=b=none", known));
        Assert.Equal($"FullLookup mine user/{Pseudonyms.Of("a=b=none")}", Scrubber.Scrub("FullLookup mine user/a=b=none"));
    }

    [Fact]
    public void Scrubbing_is_idempotent()
    {
        var once = Scrubber.Scrub("user/alice at /v1/users/alice via interactions/alice")!;

        Assert.Null(Scrubber.Scrub(once));
    }

    [Fact]
    public void Typed_values_are_exact_and_values_without_users_keep_their_type()
    {
        var grain = GrainId.Create("user", "eve.");
        var cohort = GrainId.Create("cohort", "3");
        var stream = StreamId.Create(StreamNames.Interactions, "eve.");

        Assert.Equal("user/" + Pseudonyms.Of("eve."), Scrubber.Scrub((object)grain));
        Assert.Equal(Pseudonyms.Of(stream), Scrubber.Scrub((object)stream));
        Assert.Equal($"interactions/{Pseudonyms.Of("eve.")}", Scrubber.Scrub((object)stream));
        object boxed = cohort;
        Assert.Same(boxed, Scrubber.Scrub(boxed));
        object number = 42;
        Assert.Same(number, Scrubber.Scrub(number));
        Assert.Equal($"user/{Pseudonyms.Of("eve.")}, cohort/3", Scrubber.Scrub(new List<GrainId> { grain, cohort }));
        Assert.Null(Scrubber.Scrub((object?)null));
    }

    [Fact]
    public void Messages_values_scopes_and_exceptions_reach_the_sink_scrubbed()
    {
        var sink = new CapturingLoggerProvider(_ => true);
        using var factory = new RedactingLoggerFactory(LoggerFactory.Create(b => b.AddProvider(sink).SetMinimumLevel(LogLevel.Trace)), Scrubber, ownsInner: true);
        var logger = factory.CreateLogger("Orleans.Runtime.Catalog");
        var grain = GrainId.Create("user", "frank");

        using (logger.BeginScope(new Dictionary<string, object?> { ["RequestPath"] = "/v1/users/frank/export" }))
        {
            logger.LogDebug("Deactivating {Grain} after {Idle}", grain, TimeSpan.FromMinutes(2));
            logger.LogWarning(new InvalidOperationException("Call to user/frank failed", new TimeoutException("user/frank timed out")), "Call failed");
        }

        var pseudonym = Pseudonyms.Of("frank");
        Assert.Equal(2, sink.Kept.Count);
        Assert.All(sink.Kept, e => Assert.DoesNotContain("frank", e.Text, StringComparison.Ordinal));
        Assert.All(sink.Kept, e => Assert.Contains($"RequestPath=/v1/users/{pseudonym}/export", e.Scopes));
        var deactivating = sink.Kept.First();
        Assert.Equal($"Deactivating user/{pseudonym} after 00:02:00", deactivating.Message);
        Assert.Contains($"Grain=user/{pseudonym}", deactivating.Values);
        Assert.Contains("{OriginalFormat}=Deactivating {Grain} after {Idle}", deactivating.Values);
        var failed = sink.Kept.Last();
        Assert.StartsWith("System.InvalidOperationException: Call to user/" + pseudonym + " failed", failed.Exception, StringComparison.Ordinal);
        Assert.Contains($"System.TimeoutException: user/{pseudonym} timed out", failed.Exception, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_below_the_level_is_not_formatted_and_one_without_users_passes_through_unchanged()
    {
        var sink = new CapturingLoggerProvider(_ => true);
        using var factory = new RedactingLoggerFactory(LoggerFactory.Create(b => b.AddProvider(sink).SetMinimumLevel(LogLevel.Information)), Scrubber, ownsInner: true);
        var logger = factory.CreateLogger("Orleans.Runtime.Catalog");
        var formatted = 0;
        var state = new object();

        logger.Log(LogLevel.Debug, default, state, null, (_, _) => $"user/{++formatted}");
        Assert.Equal(0, formatted);
        Assert.Empty(sink.Kept);

        logger.Log(LogLevel.Information, default, state, null, (s, _) => ReferenceEquals(s, state) ? "the caller's own state" : "another state");

        var passed = Assert.Single(sink.Kept);
        Assert.Equal("the caller's own state", passed.Message);
        Assert.Empty(passed.Values); // the caller's state object itself, not a copy with values
        Assert.Same(logger, factory.CreateLogger("Orleans.Runtime.Catalog"));
    }

    [Fact]
    public void The_redaction_wraps_the_configured_factory_once_and_keeps_its_level_filters()
    {
        var sink = new CapturingLoggerProvider(_ => true);
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(sink).AddConfiguration(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LogLevel:Default"] = "Information",
            ["LogLevel:Orleans"] = "Warning",
        }).Build()));
        services.AddUserIdLogRedaction("log-key").AddUserIdLogRedaction("log-key");
        using var provider = services.BuildServiceProvider();

        var factory = Assert.IsType<RedactingLoggerFactory>(provider.GetRequiredService<ILoggerFactory>());
        Assert.Single(services, d => d.ServiceType == typeof(ILoggerFactory));
        provider.GetRequiredService<ILogger<UserIdLogRedactionTests>>().LogInformation("Served /v1/users/{User}", "gina");
        factory.CreateLogger("Orleans.Runtime.Catalog").LogInformation("Activated user/gina");
        factory.CreateLogger("Orleans.Runtime.Catalog").LogWarning("Failed user/gina");

        Assert.Equal([$"Served /v1/users/{Pseudonyms.Of("gina")}", $"Failed user/{Pseudonyms.Of("gina")}"], sink.Kept.Select(e => e.Message));
    }

    [Fact]
    public void A_gateway_that_is_an_Orleans_client_logs_through_the_redaction()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Cohortly:PseudonymKey"] = "log-key" });
        builder.UseOrleansClient(client => client.AddCohortlyClient(builder.Configuration));
        using var host = builder.Build();

        var factory = Assert.IsType<RedactingLoggerFactory>(host.Services.GetRequiredService<ILoggerFactory>());
        Assert.Equal(Pseudonyms.Of("hal"), factory.Scrubber.Pseudonyms.Of("hal"));
    }
}
