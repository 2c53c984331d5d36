using Conveyor.StoreTests.Conformance;
using Conveyor.StoreTests.Infrastructure;

namespace Conveyor.StoreTests.Postgres;

/// <summary>The store contract on the PostgreSQL store.</summary>
[RequiresEnvironmentVariable(PostgresStoreFactory.EnvironmentVariable, PostgresStoreFactory.MissingReason)]
public sealed class PostgresConformanceTests : JobStoreConformanceTests<PostgresStoreFactory>;
