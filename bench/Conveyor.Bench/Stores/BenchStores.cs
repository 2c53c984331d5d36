namespace Conveyor.Bench.Stores;

/// <summary>Chooses the store named on the command line.</summary>
internal static class BenchStores
{
    public static IReadOnlyList<string> Names { get; } = ["sqlite", "postgres"];

    /// <summary>
    /// The store called <paramref name="name"/>, null when there is none by that name. PostgreSQL uses
    /// <paramref name="pg"/>, or starts a throw-away cluster (<see cref="PostgresCluster"/>) when it is null.
    /// </summary>
    public static async Task<IBenchStore?> CreateAsync(string name, string? pg, CancellationToken cancellationToken) => name switch
    {
        "sqlite" => new SqliteBenchStore(),
        "postgres" when pg is not null => new PostgresBenchStore(pg, cluster: null),
        "postgres" => await StartPostgresAsync(cancellationToken),
        _ => null,
    };

    private static async Task<IBenchStore> StartPostgresAsync(CancellationToken cancellationToken)
    {
        var cluster = await PostgresCluster.StartAsync(cancellationToken);
        Console.Error.WriteLine($"PostgreSQL cluster on 127.0.0.1:{cluster.Port} (pg_stat_statements: {(cluster.HasStatStatements ? "loaded" : "not available")})");
        return new PostgresBenchStore(cluster.ConnectionString, cluster);
    }
}
