using System.Net;
using System.Net.Http.Json;
using Cohortly.Contracts;
using Cohortly.Demo.Synthetic;
using Microsoft.Playwright;

namespace Cohortly.Gateway.Tests;

/// <summary>Debian's Chromium through Playwright, headless (never a downloaded browser), for the dashboard tests.</summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private const string Executable = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;

    private HeadlessChromium(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    public static async Task<HeadlessChromium> LaunchAsync()
    {
        Assert.True(File.Exists(Executable), "Chromium is not installed (apt-get install -y chromium); .ci/run installs it.");
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Executable,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
            return new HeadlessChromium(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}

/// <summary>Synthetic events as a client posts them to <c>POST /v1/events</c>.</summary>
public static class WireEvents
{
    /// <summary>The request body; <paramref name="device"/> adds each event's device as its context.</summary>
    public static object Body(IEnumerable<SyntheticEvent> events, bool device = true) => device
        ? new { events = events.Select(e => new { eventId = e.EventId, userId = e.UserId, itemId = e.ItemId, type = e.Type.ToWireName(), value = e.Value, timestamp = e.Timestamp, context = new { device = e.Device } }) }
        : new { events = events.Select(e => new { eventId = e.EventId, userId = e.UserId, itemId = e.ItemId, type = e.Type.ToWireName(), value = e.Value, timestamp = e.Timestamp }) };

    /// <summary>Posts the events in batches of 1,000 and asserts each batch is accepted whole (202).</summary>
    public static async Task PostAccepted(HttpClient client, IEnumerable<SyntheticEvent> events, bool device = true)
    {
        foreach (var chunk in events.Chunk(1000))
        {
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/v1/events", Body(chunk, device))).StatusCode);
        }
    }
}

public static class ApiTraining
{
    /// <summary>
    /// Trains through the API (the admin key on <paramref name="client"/>'s gateway), asserts the run succeeded and
    /// waits until the silo reports the active version loaded (GET /v1/models/{version} as <paramref name="admin"/>).
    /// </summary>
    /// <returns>The active version.</returns>
    public static async Task<long> TrainUntilLoaded(HttpClient client, HttpClient admin)
    {
        using var api = new CohortlyApiClient(client, GatewayFactory.AdminKey);
        var status = (await api.TrainAsync(TimeSpan.FromMinutes(3), progress: null, CancellationToken.None)).Status;
        Assert.True(status["state"]!.GetValue<string>() == "succeeded", status.ToJsonString());
        var active = status["activeVersion"]!.GetValue<long>();
        await Eventually.True(
            async () => (await CohortlyApiClient.Json(await admin.GetAsync($"/v1/models/{active}")))["silos"]!.AsArray().Any(l => l!["state"]!.GetValue<string>() == "loaded"),
            "the silo reports the active version loaded");
        return active;
    }
}

public static class Problems
{
    /// <summary>The response is a problem details document with <paramref name="status"/> whose text names <paramref name="field"/>.</summary>
    public static async Task AssertNames(HttpResponseMessage response, HttpStatusCode status, string field)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(field, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
