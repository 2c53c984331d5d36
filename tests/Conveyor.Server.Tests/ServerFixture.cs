using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Conveyor.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.Server.Tests;

/// <summary>A real server: Kestrel on a free loopback port, a real SQLite file, the test job types.</summary>
public sealed class ServerFixture : IAsyncDisposable
{
    private readonly string? _ownDirectory;

    private ServerFixture(WebApplication app, string? ownDirectory, Uri address, string adminKey)
    {
        App = app;
        _ownDirectory = ownDirectory;
        Address = address;
        AdminKey = adminKey;
    }

    public WebApplication App { get; }

    public Uri Address { get; }

    public string AdminKey { get; }

    public static Task<ServerFixture> StartAsync(params string[] settings) => StartAsync(settings, bootstrapKey: true);

    /// <summary>Starts a server; without <paramref name="bootstrapKey"/> it expects the store to hold keys already (another node made them).</summary>
    /// <param name="settings">Configuration, as command-line arguments.</param>
    /// <param name="bootstrapKey">False when the store already holds keys (another node made them).</param>
    /// <param name="directory">Where the SQLite file lives; given, it outlives the server (a restart reuses it) and the caller removes it.</param>
    /// <param name="configure">Registers more job types.</param>
    public static async Task<ServerFixture> StartAsync(string[] settings, bool bootstrapKey, string? directory = null, Action<ConveyorOptions>? configure = null)
    {
        var own = directory is null;
        directory ??= Path.Combine(Path.GetTempPath(), $"conveyor-server-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        string[] args =
        [
            "--urls=http://127.0.0.1:0",
            $"--Conveyor:Store=sqlite:{Path.Combine(directory, "conveyor.db")}",
            "--Logging:LogLevel:Default=Warning",
            .. settings,
        ];
        var app = ConveyorServerHost.Build(args, o =>
        {
            o.AddQueue("bounded", q => { q.MaxWaiting = 2; q.RetryAfterWhenFull = TimeSpan.FromSeconds(7); });
            o.AddJob<Echo, EchoHandler>("test.echo");
            o.AddJob<Hold, HoldHandler>("test.hold");
            o.AddJob<Doomed, DoomedHandler>("test.doomed");
            o.AddJob<Ask, AskHandler>("test.ask");
            o.ShutdownTimeout = TimeSpan.FromSeconds(1);
            configure?.Invoke(o);
        });
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var key = app.Services.GetRequiredService<AdminKeyBootstrap>().CreatedKey
            ?? (bootstrapKey ? throw new InvalidOperationException("The server created no bootstrap admin key.") : "");
        return new ServerFixture(app, own ? directory : null, address, key);
    }

    public HttpClient Client(string? key = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        if (key is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public HttpClient Admin() => Client(AdminKey);

    /// <summary>Creates a key through the API, as an admin would.</summary>
    public async Task<string> KeyAsync(string user, string? tenant, params string[] roles)
    {
        using var admin = Admin();
        var response = await admin.PostAsJsonAsync("/v1/keys", new { name = $"{user} key", user, tenant, roles });
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("key").GetString()!;
    }

    public async Task<HttpClient> UserAsync(string user, string? tenant, params string[] roles) => Client(await KeyAsync(user, tenant, roles));

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        if (_ownDirectory is null)
            return;
        try
        {
            Directory.Delete(_ownDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still closing; the temp directory is the OS's to clean.
        }
    }
}

/// <summary>Shared helpers for reading the API's answers.</summary>
public static class Http
{
    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, string json, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (idempotencyKey is not null)
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        return client.SendAsync(request);
    }

    /// <summary>Polls a job until it is in one of the states, or fails the test after the timeout.</summary>
    public static async Task<JsonElement> WaitForStateAsync(this HttpClient client, long id, params string[] states)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var job = await (await client.GetAsync($"/v1/jobs/{id}", timeout.Token)).JsonAsync();
            if (states.Contains(job.GetProperty("state").GetString()))
                return job;
            await Task.Delay(20, timeout.Token);
        }
    }

    public static async Task AssertProblemAsync(this HttpResponseMessage response, int status, string? field = null)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.JsonAsync();
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.StartsWith("https://conveyor.dev/problems/", problem.GetProperty("type").GetString());
        if (field is not null)
        {
            Assert.Equal(field, problem.GetProperty("field").GetString());
            Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("reason").GetString()));
        }
    }
}
