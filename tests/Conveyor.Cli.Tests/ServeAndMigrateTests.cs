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
        (await CliServer.Run(["migrate", "--store", store, "--schema", "ops"])).AssertError(ExitCodes.Usage, $"conveyor: schema: applies to a postgres: store, not '{store}'");
    }

    [Fact]
    public async Task Migrate_reads_the_store_from_configuration_as_serve_does()
    {
        var store = $"sqlite:{Path.Combine(_directory, "configured.db")}";
        var result = (await CliServer.Run(["migrate", $"--Conveyor:Store={store}"])).AssertSuccess();
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(store)}: migrated the schema from version 0 to [1-9][0-9]*$", result.Out.Trim());
        Assert.True(File.Exists(Path.Combine(_directory, "configured.db")));
        // The option wins over the configuration, as for serve.
        var other = $"sqlite:{Path.Combine(_directory, "option.db")}";
        (await CliServer.Run(["migrate", "--store", other, $"--Conveyor:Store={store}"])).AssertSuccess();
        Assert.True(File.Exists(Path.Combine(_directory, "option.db")));
        (await CliServer.Run(["migrate", "--store", store, "--Conveyor:LeaseDuration=soon"]))
            .AssertError(ExitCodes.Usage, "conveyor: the configuration is invalid: Conveyor:LeaseDuration: 'soon' is not a duration");
    }

    [Fact]
    public async Task Migrate_targets_a_postgres_schema_and_shows_host_port_database_and_schema_without_the_password()
    {
        var connectionString = Environment.GetEnvironmentVariable("CONVEYOR_TEST_PG")
            ?? throw new InvalidOperationException("CONVEYOR_TEST_PG is not set: run the tests through ./test.sh, which starts PostgreSQL.");
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { Password = "hunter2-not-shown" };
        var schema = $"cli_{Guid.NewGuid():N}"[..20];
        var other = $"cli_{Guid.NewGuid():N}"[..20];
        var shown = $"postgres:{builder.Host}:{builder.Port}/{builder.Database}";
        try
        {
            var first = (await CliServer.Run(["migrate", "--store", $"postgres:{builder}", "--schema", schema])).AssertSuccess();
            Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(shown)}, schema {schema}: migrated the schema from version 0 to [1-9][0-9]*$", first.Out.Trim());
            Assert.DoesNotContain("hunter2", first.Out, StringComparison.Ordinal);
            var again = (await CliServer.Run(["migrate", $"--Conveyor:Store=postgres:{builder}", $"--Conveyor:Postgres:Schema={schema}"])).AssertSuccess();
            Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(shown)}, schema {schema}: the schema is up to date \\(version [1-9][0-9]*\\)$", again.Out.Trim());
            // The configuration key alone targets a schema too.
            var configured = (await CliServer.Run(["migrate", "--store", $"postgres:{builder}", $"--Conveyor:Postgres:Schema={other}"])).AssertSuccess();
            Assert.Contains($", schema {other}: migrated the schema from version 0 to ", configured.Out, StringComparison.Ordinal);

            Assert.Equal(2, await ScalarAsync<long>(connectionString,
                $"SELECT count(*) FROM information_schema.tables WHERE table_name = 'jobs' AND table_schema IN ('{schema}', '{other}')"));
        }
        finally
        {
            await ScalarAsync<object>(connectionString, $"DROP SCHEMA IF EXISTS {schema} CASCADE; DROP SCHEMA IF EXISTS {other} CASCADE");
        }
    }

    [Fact]
    public async Task Migrate_help_names_the_conveyor_command_and_only_its_own_options()
    {
        var help = (await CliServer.Run(["migrate", "--help"])).AssertSuccess().Out;
        Assert.Contains("conveyor migrate", help, StringComparison.Ordinal);
        Assert.DoesNotContain("Conveyor.Cli", help, StringComparison.Ordinal);
        Assert.Contains("--store", help, StringComparison.Ordinal);
        Assert.Contains("--schema", help, StringComparison.Ordinal);
        foreach (var remote in new[] { "--url", "--key", "--json" })
            Assert.DoesNotContain(remote, help, StringComparison.Ordinal);
        var ls = (await CliServer.Run(["dlq", "ls", "--help"])).AssertSuccess().Out;
        Assert.Contains("conveyor dlq ls", ls, StringComparison.Ordinal);
        Assert.Contains("--url", ls, StringComparison.Ordinal);
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

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
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
