using Conveyor.StoreTests.Engine;
using Conveyor.StoreTests.Infrastructure;

namespace Conveyor.StoreTests.Postgres;

/// <summary>The engine end to end on the PostgreSQL store.</summary>
[RequiresEnvironmentVariable(PostgresStoreFactory.EnvironmentVariable, PostgresStoreFactory.MissingReason)]
public sealed class PostgresEngineTests : ConveyorEngineTests<PostgresStoreFactory>;
