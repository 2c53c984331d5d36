using Conveyor.Postgres;
using Npgsql;

namespace Conveyor.StoreTests.Postgres;

/// <summary>The store's pool settings: its own defaults where the connection string is silent, the user's where it speaks.</summary>
public sealed class PostgresDataSourceTests
{
    [Fact]
    public async Task Statements_are_prepared_connections_not_reset_and_sequential_scans_priced_out_unless_the_connection_string_says_otherwise()
    {
        await using var dataSource = PostgresJobStore.CreateDataSource("Host=db;Username=app;Database=app");

        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        Assert.Equal(32, settings.MaxAutoPrepare);
        Assert.True(settings.NoResetOnClose);
        Assert.Equal("-c enable_seqscan=off", settings.Options);
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0;No Reset On Close=false;Options=-c enable_seqscan=on")]
    [InlineData("Host=db;maxautoprepare=0;NORESETONCLOSE=false;options=-c enable_seqscan=on")]
    public async Task Settings_the_connection_string_names_are_kept(string connectionString)
    {
        await using var dataSource = PostgresJobStore.CreateDataSource(connectionString);

        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        Assert.Equal(0, settings.MaxAutoPrepare);
        Assert.False(settings.NoResetOnClose);
        // The string's own options come last, so they win over the store's.
        Assert.Equal("-c enable_seqscan=off -c enable_seqscan=on", settings.Options);
    }
}
