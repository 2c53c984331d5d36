using Conveyor.StoreTests.Engine;

namespace Conveyor.StoreTests.Sqlite;

/// <summary>The engine end to end on the embedded SQLite store.</summary>
public sealed class SqliteEngineTests : ConveyorEngineTests<SqliteStoreFactory>;
