namespace Conveyor.Sqlite;

/// <summary>Settings of the embedded SQLite store.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>The database file. Default <c>conveyor.db</c> in the working directory; created when missing.</summary>
    public string Path { get; set; } = "conveyor.db";

    /// <summary>
    /// How long a write waits for another process's write lock before it fails. Default 30 seconds. Within one
    /// process writes never wait on each other's locks: they are queued in order on one connection.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// SQLite's <c>synchronous</c> setting in WAL mode. Default <c>NORMAL</c>: a committed job survives a crash of the
    /// process; a power loss may lose the last transactions. <c>FULL</c> also survives power loss, at a cost per commit.
    /// </summary>
    public string Synchronous { get; set; } = "NORMAL";
}
