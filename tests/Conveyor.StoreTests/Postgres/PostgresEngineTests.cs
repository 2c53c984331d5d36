using Conveyor.StoreTests.Engine;

namespace Conveyor.StoreTests.Postgres;

/// <summary>The engine end to end on the PostgreSQL store.</summary>
public sealed class PostgresEngineTests : ConveyorEngineTests<PostgresStoreFactory>;
