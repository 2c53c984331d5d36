using System.Net;
using System.Net.Sockets;

namespace Conveyor.Cli.Tests;

/// <summary>Every failure is one line on standard error and a documented exit code.</summary>
public sealed class ErrorTests(CliServer server) : IClassFixture<CliServer>
{
    [Fact]
    public async Task A_bad_key_and_no_key_are_auth_errors()
    {
        (await server.RunAsync(["stats"], "cvk_bogus_key")).AssertError(ExitCodes.Unauthorized, "conveyor: the API key was refused (401): it is unknown, malformed or revoked");
        (await server.RunAsync(["stats"], key: null)).AssertError(ExitCodes.Unauthorized, "conveyor: no API key (401): pass --key or set CONVEYOR_KEY");
    }

    [Fact]
    public async Task A_viewer_cannot_submit()
    {
        var viewer = await server.KeyAsync("vic", null, "viewer");
        (await server.RunAsync(["enqueue", "test.echo", "--payload", """{"text":"x"}"""], viewer))
            .AssertError(ExitCodes.Unauthorized, "conveyor: not allowed: a viewer key cannot submit jobs (403)");
    }

    [Fact]
    public async Task An_unknown_job_is_not_found()
    {
        (await server.RunAsync("status", "999999")).AssertError(ExitCodes.NotFound, "conveyor: job 999999 was not found (404)");
        (await server.RunAsync("cancel", "999999")).AssertError(ExitCodes.NotFound, "conveyor: job 999999 was not found (404)");
    }

    [Fact]
    public async Task An_unreachable_server_says_where_and_why()
    {
        var port = ClosedPort();
        var result = await CliServer.Run(["stats", "--url", $"http://127.0.0.1:{port}", "--key", "k"]);
        result.AssertError(ExitCodes.Unreachable, $"conveyor: cannot reach http://127.0.0.1:{port} (connection refused)");
    }

    [Fact]
    public async Task Url_and_key_come_from_the_environment_and_options_win()
    {
        var env = new Dictionary<string, string> { ["CONVEYOR_URL"] = server.Url, ["CONVEYOR_KEY"] = server.AdminKey };
        (await CliServer.Run(["stats"], env)).AssertSuccess();
        (await CliServer.Run(["stats", "--key", "cvk_wrong_key"], env)).AssertError(ExitCodes.Unauthorized, "conveyor: the API key was refused (401)");
        var port = ClosedPort();
        (await CliServer.Run(["stats"], new Dictionary<string, string> { ["CONVEYOR_URL"] = $"http://127.0.0.1:{port}" }))
            .AssertError(ExitCodes.Unreachable, $"conveyor: cannot reach http://127.0.0.1:{port}");
        (await CliServer.Run(["stats", "--url", "ftp://x"])).AssertError(ExitCodes.Usage, "conveyor: url: 'ftp://x' is not an http:// or https:// URL");
    }

    [Fact]
    public async Task Usage_errors_are_one_line_with_exit_code_two()
    {
        (await CliServer.Run(["status", "abc"])).AssertError(ExitCodes.Usage, "conveyor: id: 'abc' is not a job id (a whole number from 1) (see 'conveyor --help')");
        (await CliServer.Run(["frobnicate"])).AssertError(ExitCodes.Usage, "conveyor: unrecognized command or argument 'frobnicate'");
        (await CliServer.Run(["enqueue", "x", "--priority", "urgent"])).AssertError(ExitCodes.Usage, "conveyor: argument 'urgent' not recognized");
        (await CliServer.Run([])).AssertError(ExitCodes.Usage, "conveyor: required command was not provided");
    }

    [Fact]
    public async Task Help_goes_to_standard_output()
    {
        var help = (await CliServer.Run(["--help"])).AssertSuccess();
        foreach (var command in new[] { "serve", "migrate", "keys", "enqueue", "status", "watch", "ls", "cancel", "retry", "dlq", "queues", "stats" })
            Assert.Contains(help.OutLines, l => l.StartsWith(command, StringComparison.Ordinal));
    }

    /// <summary>A loopback port nothing listens on: one the OS just handed out and took back.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
