using System.Net.Http.Headers;
using System.Text.Json;
using Conveyor.Server;
using Conveyor.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.Cli.Tests;

/// <summary>What one CLI run printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error)
{
    public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Out);
        return document.RootElement.Clone();
    }

    /// <summary>The CLI's error contract: nothing on standard output, exactly one line on standard error, this exit code.</summary>
    public void AssertError(int exitCode, string startsWith)
    {
        Assert.True(ExitCode == exitCode, $"exit code {ExitCode}, expected {exitCode}; stderr: {Error}");
        Assert.Equal("", Out);
        var lines = Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith(startsWith, lines[0].TrimEnd(), StringComparison.Ordinal);
    }

    public CliResult AssertSuccess()
    {
        Assert.True(ExitCode == 0, $"exit code {ExitCode}; stderr: {Error}; stdout: {Out}");
        Assert.Equal("", Error);
        return this;
    }
}

/// <summary>
/// A real server for a test class: Kestrel on a free loopback port, a SQLite file of its own, the test job types and
/// queues (<c>dlq</c> for dead-letter tests, <c>gated</c> for pausing). The CLI runs in-process against it.
/// </summary>
public sealed class CliServer : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"conveyor-cli-{Guid.NewGuid():N}");
    private WebApplication? _app;

    public Uri Address { get; private set; } = null!;

    public string Url => Address.ToString().TrimEnd('/');

    public string AdminKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _app = ConveyorServerHost.Build(
        [
            "--urls=http://127.0.0.1:0",
            $"--Conveyor:Store=sqlite:{Path.Combine(_directory, "conveyor.db")}",
            "--Logging:LogLevel:Default=Warning",
            "--Conveyor:Server:RateLimitPermitsPerSecond=10000",
            "--Conveyor:Server:RateLimitBurst=10000",
        ], o =>
        {
            o.AddQueue("dlq");
            o.AddQueue("gated");
            o.AddQueue("bounded", q => q.MaxWaiting = 5);
            o.AddQueue("throttled");
            o.AddLimit("one-at-a-time", l => { l.ForQueue("throttled"); l.MaxRunning = 1; });
            o.AddJob<Echo, EchoHandler>("test.echo");
            o.AddJob<Phases, PhasesHandler>("test.phases");
            o.AddJob<Hold, HoldHandler>("test.hold");
            o.AddJob<Doomed, DoomedHandler>("test.doomed");
            o.AddJob<Ask, AskHandler>("test.ask");
            o.ShutdownTimeout = TimeSpan.FromSeconds(1);
        });
        await _app.StartAsync();
        Address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        AdminKey = _app.Services.GetRequiredService<AdminKeyBootstrap>().CreatedKey
            ?? throw new InvalidOperationException("The server created no bootstrap admin key.");
    }

    /// <summary>Runs the CLI in-process with the admin key and this server's URL (unless the arguments give their own).</summary>
    public Task<CliResult> RunAsync(params string[] args) => RunAsync(args, AdminKey);

    public Task<CliResult> RunAsync(string[] args, string? key, IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default,
        TextReader? input = null, bool inputIsTerminal = true)
    {
        List<string> all = [.. args];
        if (!args.Contains("--url"))
            all.AddRange(["--url", Url]);
        if (key is not null && !args.Contains("--key"))
            all.AddRange(["--key", key]);
        return Run(all.ToArray(), environment, cancellationToken, input: input, inputIsTerminal: inputIsTerminal);
    }

    /// <summary>Runs the CLI in-process exactly on these arguments; the environment is only what is given.</summary>
    public static async Task<CliResult> Run(string[] args, IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default, TextWriter? output = null,
        TextReader? input = null, bool inputIsTerminal = true)
    {
        var stdout = output ?? new StringWriter();
        var stderr = new StringWriter();
        var code = input is null
            ? await ConveyorCli.RunAsync(args, stdout, stderr, name => environment?.GetValueOrDefault(name), cancellationToken: cancellationToken)
            : await ConveyorCli.RunAsync(args, stdout, stderr, name => environment?.GetValueOrDefault(name), input, inputIsTerminal, cancellationToken);
        return new CliResult(code, stdout.ToString()!.Replace("\r\n", "\n"), stderr.ToString().Replace("\r\n", "\n"));
    }

    /// <summary>Submits a job through the CLI and returns its id.</summary>
    public async Task<long> EnqueueAsync(string type, string payload, params string[] more)
    {
        var result = await RunAsync(["enqueue", type, "--payload", payload, "--json", .. more]);
        result.AssertSuccess();
        return result.Json().GetProperty("id").GetInt64();
    }

    /// <summary>Polls the job (through the API) until it is in one of the states; fails after 30 s.</summary>
    public async Task<JsonElement> WaitForStateAsync(long id, params string[] states)
    {
        using var http = new HttpClient { BaseAddress = Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var text = await http.GetStringAsync($"/v1/jobs/{id}", timeout.Token);
            using var document = JsonDocument.Parse(text);
            if (states.Contains(document.RootElement.GetProperty("state").GetString()))
                return document.RootElement.Clone();
            await Task.Delay(20, timeout.Token);
        }
    }

    /// <summary>Creates a key through the CLI and returns it.</summary>
    public async Task<string> KeyAsync(string user, string? tenant, params string[] roles)
    {
        string[] args = ["keys", "create", "--name", $"{user} key", "--user", user, .. tenant is null ? Array.Empty<string>() : ["--tenant", tenant], .. roles.SelectMany(r => new[] { "--role", r }), "--json"];
        var result = await RunAsync(args);
        result.AssertSuccess();
        return result.Json().GetProperty("key").GetString()!;
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still closing; the temp directory is the OS's to clean.
        }
    }
}
