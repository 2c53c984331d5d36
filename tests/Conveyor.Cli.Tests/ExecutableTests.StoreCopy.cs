using Conveyor.Cli.Tests.StoreCopy;
using Conveyor.Sqlite;

namespace Conveyor.Cli.Tests;

public sealed partial class ExecutableTests
{
    [Fact]
    public async Task Store_copy_runs_as_the_built_executable_and_its_copy_runs_on()
    {
        await using var stores = new CopyStores();
        var path = stores.NewSqlitePath();
        var source = await stores.SqliteAsync(path);
        var ids = await CopyScenario.PopulateAsync(source);
        await source.DisposeAsync();

        var schema = stores.NewSchema();
        var (code, output, error) = await RunAsync(["store", "copy", "--from", $"sqlite:{path}", "--to", $"postgres:{CopyStores.ConnectionString}", "--to-schema", schema], []);
        Assert.True(code == 0, $"exit {code}: {output} {error}");
        Assert.Equal("", error);
        Assert.Matches(@"(?m)^jobs\s+10\s+10\s+10\s+10$", output);

        // And back into a new SQLite file, which a host then runs on.
        var back = stores.NewSqlitePath();
        (code, output, error) = await RunAsync(["store", "copy", "--from", $"postgres:{CopyStores.ConnectionString}", "--from-schema", schema, "--to", $"sqlite:{back}"], []);
        Assert.True(code == 0, $"exit {code}: {output} {error}");
        var copied = await stores.SqliteAsync(back, migrate: false);
        Assert.Equal(JobState.Succeeded, (await CopyScenario.RunPendingJobAsync(o => o.UseSqlite(back), copied, ids[0])).State);

        // A second copy into the now filled store is refused, with one line and exit code 1.
        (code, output, error) = await RunAsync(["store", "copy", "--from", $"sqlite:{path}", "--to", $"sqlite:{back}"], []);
        Assert.Equal(ExitCodes.Usage, code);
        (code, output, error) = await RunAsync(["store", "copy", "--from", $"postgres:{CopyStores.ConnectionString}", "--from-schema", schema, "--to", $"sqlite:{back}"], []);
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal("", output);
        Assert.StartsWith($"conveyor: sqlite:{back} already holds data (queues: ", error, StringComparison.Ordinal);
        Assert.Contains(", jobs: 10, ", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Equal(SqliteJobStore.LatestSchemaVersion, await copied.SchemaVersionAsync(CancellationToken.None));
    }
}
