namespace Conveyor.Cli.Tests;

public sealed class ServeAndMigrateTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("conveyor-cli-serve-").FullName;

    [Fact]
    public async Task Migrate_creates_the_schema_then_finds_it_up_to_date()
    {
        var store = $"sqlite:{Path.Combine(_directory, "m.db")}";
        var first = (await CliServer.Run(["migrate", "--store", store])).AssertSuccess();
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(store)}: migrated the schema from version 0 to [1-9][0-9]*$", first.Out.Trim());
        var second = (await CliServer.Run(["migrate", "--store", store])).AssertSuccess();
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(store)}: the schema is up to date \\(version [1-9][0-9]*\\)$", second.Out.Trim());

        (await CliServer.Run(["migrate", "--store", "mysql:x"])).AssertError(ExitCodes.Usage, "conveyor: store: 'mysql:x' is neither sqlite:<path> nor postgres:<connection string>");
        (await CliServer.Run(["migrate"])).AssertError(ExitCodes.Usage, "conveyor: option '--store' is required");
    }

    [Fact]
    public async Task Serve_prints_where_it_listens_serves_the_api_and_stops_on_interrupt()
    {
        using var stop = new CancellationTokenSource();
        var output = new SynchronizedWriter();
        var serving = CliServer.Run(["serve", "--store", $"sqlite:{Path.Combine(_directory, "s.db")}", "--urls", "http://127.0.0.1:0", "--samples",
            "--Logging:LogLevel:Default=Warning", "--Conveyor:Server:BootstrapAdminKey=false"], cancellationToken: stop.Token, output: output);
        await output.WaitForAsync("Ctrl+C stops it.");
        var line = output.ToString().Split('\n').Single(l => l.StartsWith("Conveyor is listening on ", StringComparison.Ordinal));
        Assert.Contains("(store sqlite:", line);
        Assert.Contains("sample job types", line);
        var url = line["Conveyor is listening on ".Length..].Split(' ')[0];
        Assert.StartsWith("http://127.0.0.1:", url);

        // It answers: without a key, the API refuses.
        (await CliServer.Run(["stats", "--url", url])).AssertError(ExitCodes.Unauthorized, "conveyor: no API key (401)");

        await stop.CancelAsync();
        var result = await serving.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ExitCodes.Success, result.ExitCode);
    }

    [Fact]
    public async Task Serve_refuses_an_unknown_store()
    {
        (await CliServer.Run(["serve", "--store", "redis:localhost"])).AssertError(ExitCodes.Usage, "conveyor: store: 'redis:localhost' is neither");
    }

    public void Dispose()
    {
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
