using Conveyor.StoreTests.Conformance;

namespace Conveyor.StoreTests.Postgres;

/// <summary>The store contract on the PostgreSQL store.</summary>
public sealed class PostgresConformanceTests : JobStoreConformanceTests<PostgresStoreFactory>;
