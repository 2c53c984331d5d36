using Conveyor.StoreTests.Conformance;

namespace Conveyor.StoreTests.Sqlite;

/// <summary>The store contract on the embedded SQLite store.</summary>
public sealed class SqliteConformanceTests : JobStoreConformanceTests<SqliteStoreFactory>;
