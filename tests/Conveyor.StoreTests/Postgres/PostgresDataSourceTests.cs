using Conveyor.Postgres;
using Npgsql;

namespace Conveyor.StoreTests.Postgres;

/// <summary>The store's pool settings: its own defaults where the connection string is silent, the user's where it speaks.</summary>
public sealed class PostgresDataSourceTests
{
    [Fact]
    public async Task Connections_are_not_reset_and_statements_not_prepared_unless_the_connection_string_says_otherwise()
    {
        await using var dataSource = PostgresJobStore.CreateDataSource("Host=db;Username=app;Database=app");

        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        Assert.Equal(0, settings.MaxAutoPrepare);
        Assert.True(settings.NoResetOnClose);
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=20;No Reset On Close=false")]
    [InlineData("Host=db;maxautoprepare=20;NORESETONCLOSE=false")]
    public async Task Settings_the_connection_string_names_are_kept(string connectionString)
    {
        await using var dataSource = PostgresJobStore.CreateDataSource(connectionString);

        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        Assert.Equal(20, settings.MaxAutoPrepare);
        Assert.False(settings.NoResetOnClose);
    }
}
