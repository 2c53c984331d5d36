namespace Conveyor.Bench.Stores;

/// <summary>Chooses the store named on the command line.</summary>
internal static class BenchStores
{
    public static IReadOnlyList<string> Names { get; } = ["sqlite"];

    /// <summary>The store called <paramref name="name"/>; null when there is none by that name.</summary>
    public static IBenchStore? Create(string name) => name switch
    {
        "sqlite" => new SqliteBenchStore(),
        // "postgres" => new PostgresBenchStore(connectionString), once Conveyor.Postgres exists.
        _ => null,
    };
}
