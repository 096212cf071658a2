using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Cohortly.Contracts;
using Cohortly.Grains.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cohortly.Gateway.Tests;

/// <summary>
/// Log lines written by Orleans and ASP.NET Core (not by Cohortly's own log methods, which PseudonymisedLogsTests
/// covers) name users only by pseudonym. The real embedded gateway runs with a sink that reads everything at Trace level
/// (message, structured values, scopes, exception text) while a user is served, a grain call for another user fails and
/// the cluster deactivates both.
/// </summary>
public sealed partial class FrameworkLogPseudonymsTests
{
    private const string Key = "framework-log-test-key";

    // An e-mail address as a user id: '@' and '.' are what Orleans writes after a grain id, the case to get right.
    private const string User = "zelda.smith+shop@example.com";
    private const string Failing = "zelda-fails";
    private const string Clear = "zelda";

    [Fact]
    public async Task Orleans_and_AspNetCore_log_lines_carry_the_pseudonym_and_never_the_user_id_and_no_metric_is_tagged_with_it()
    {
        var pseudonyms = UserPseudonyms.For(Key);
        var user = pseudonyms.Of(User);
        var failing = pseudonyms.Of(Failing);
        var capture = new CapturingLoggerProvider(text => text.Contains(Clear, StringComparison.OrdinalIgnoreCase) || text.Contains("user~", StringComparison.Ordinal));
        var tags = new ConcurrentQueue<string>();
        using var meters = ListenToEveryInstrument(tags);
        await using var gateway = new GatewayFactory();
        var factory = gateway.WithWebHostBuilder(b =>
        {
            b.UseSetting("Cohortly:PseudonymKey", Key);
            b.ConfigureLogging(l => l.AddProvider(capture).AddFilter<CapturingLoggerProvider>(null, LogLevel.Trace));
            b.ConfigureServices(s => s.AddSingleton<IIncomingGrainCallFilter>(new FailProfileReads(Failing)));
        });
        var app = Client(factory, GatewayFactory.AppKey);
        var admin = Client(factory, GatewayFactory.AdminKey);

        // Served: events through the stream, profile, recommendations, export (audited).
        var batch = new { events = new[] { new { eventId = "fl-1", userId = User, itemId = "fl-i1", type = "view" }, new { eventId = "fl-2", userId = User, itemId = "fl-i2", type = "click" } } };
        Assert.Equal(HttpStatusCode.Accepted, (await app.PostAsJsonAsync("/v1/events", batch)).StatusCode);
        await Eventually.True(async () => (await app.GetAsync(Path(User))).StatusCode == HttpStatusCode.OK, "the user's profile exists");
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync(Path(User) + "/recommendations?count=3")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(Path(User) + "/export")).StatusCode);

        // A grain call that fails (its exception names the grain, as Orleans' own do) and reaches the exception handler.
        Assert.Equal(HttpStatusCode.InternalServerError, (await app.GetAsync(Path(Failing))).StatusCode);

        // Deactivation of every idle activation, the users' included.
        var management = factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        await management.ForceActivationCollection(TimeSpan.Zero);
        await Eventually.True(
            () => Task.FromResult(capture.Kept.Any(e => e.Category.StartsWith("Orleans", StringComparison.Ordinal) && e.Text.Contains("eactivat", StringComparison.Ordinal) && e.Text.Contains(user, StringComparison.Ordinal))),
            "Orleans logged the user grain's deactivation",
            diagnostics: () => Dump(capture, user));

        var leaks = capture.Kept.Where(e => e.Text.Contains(Clear, StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(leaks.Count == 0, $"{leaks.Count} of {capture.Seen} log entries name a user in clear:{Environment.NewLine}{string.Join(Environment.NewLine, leaks.Take(10))}");
        Assert.True(capture.Seen > 1000, $"only {capture.Seen} entries reached the sink at Trace level");

        // The pseudonym is where the id was: ASP.NET Core's request line, Orleans' grain and stream ids, the failure.
        Assert.Contains(capture.Kept, e => e.Category.StartsWith("Microsoft.AspNetCore.Hosting", StringComparison.Ordinal) && e.Message.Contains($"/v1/users/{user}", StringComparison.Ordinal));
        Assert.Contains(capture.Kept, e => e.Category.StartsWith("Orleans", StringComparison.Ordinal) && e.Text.Contains($"user/{user}", StringComparison.Ordinal));
        Assert.Contains(capture.Kept, e => e.Category.StartsWith("Orleans", StringComparison.Ordinal) && e.Text.Contains($"interactions/{user}", StringComparison.Ordinal));
        Assert.Contains(capture.Kept, e => e.Level == LogLevel.Error && e.Exception is { } text && text.Contains($"user/{failing}", StringComparison.Ordinal) && text.Contains(nameof(InvalidOperationException), StringComparison.Ordinal));
        Assert.Contains(capture.Kept, e => e.Scopes.Any(s => s.Contains($"/v1/users/{failing}", StringComparison.Ordinal)));

        // Every pseudonym in them is one of the two users' (an id cut at the wrong place would hash to another).
        var foreign = capture.Kept.Where(e => Pseudonym().Matches(e.Text).Any(m => m.Value != user && m.Value != failing)).Take(10).ToList();
        Assert.True(foreign.Count == 0, string.Join(Environment.NewLine, foreign));

        // Metric tags: none carries a user id (routes are templates, grains are counted by type).
        Assert.NotEmpty(tags);
        Assert.DoesNotContain(tags, t => t.Contains(Clear, StringComparison.OrdinalIgnoreCase));
    }

    [GeneratedRegex("user~[0-9a-f]{16}")]
    private static partial Regex Pseudonym();

    private static string Path(string user) => "/v1/users/" + Uri.EscapeDataString(user);

    private static HttpClient Client(WebApplicationFactory<Program> factory, string key)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private static string Dump(CapturingLoggerProvider capture, string pseudonym) =>
        $"{capture.Seen} entries; with the pseudonym:{Environment.NewLine}" + string.Join(Environment.NewLine, capture.Kept.Where(e => e.Text.Contains(pseudonym, StringComparison.Ordinal)).Take(40));

    /// <summary>Every tag value of every measurement of every meter in the process while the test runs.</summary>
    private static MeterListener ListenToEveryInstrument(ConcurrentQueue<string> tags)
    {
        var listener = new MeterListener { InstrumentPublished = (instrument, l) => l.EnableMeasurementEvents(instrument) };
        void Record(ReadOnlySpan<KeyValuePair<string, object?>> measured)
        {
            foreach (var (key, value) in measured)
            {
                tags.Enqueue($"{key}={value}");
            }
        }

        listener.SetMeasurementEventCallback<long>((_, _, t, _) => Record(t));
        listener.SetMeasurementEventCallback<int>((_, _, t, _) => Record(t));
        listener.SetMeasurementEventCallback<double>((_, _, t, _) => Record(t));
        listener.Start();
        return listener;
    }

    /// <summary>Fails one user's profile reads inside the grain, with a message that names the grain as Orleans' errors do.</summary>
    private sealed class FailProfileReads(string userId) : IIncomingGrainCallFilter
    {
        public Task Invoke(IIncomingGrainCallContext context)
        {
            if (context.TargetId.Type.ToString() == "user" && context.TargetId.Key.ToString() == userId && context.InterfaceMethod.Name == nameof(IUserGrain.GetProfile))
            {
                throw new InvalidOperationException($"Injected failure of {context.InterfaceMethod.Name} on {context.TargetId}");
            }

            return context.Invoke();
        }
    }
}
