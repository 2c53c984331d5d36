using System.Data.Common;

namespace Conveyor.Cli.StoreCopy;

/// <summary>A column as one side declares it: its name and, on PostgreSQL, its type and whether a sequence feeds it.</summary>
internal sealed record ColumnShape(string Name, ColumnType? Type, bool Generated, string DeclaredType);

/// <summary>One table of one side: its columns in declared order.</summary>
internal sealed record TableShape(string Name, IReadOnlyList<ColumnShape> Columns)
{
    public ColumnShape? Column(string name) => Columns.FirstOrDefault(c => c.Name == name);
}

/// <summary>A column both sides have, with the type its values travel as.</summary>
internal sealed record CopyColumn(string Name, ColumnType Type);

/// <summary>A table's size on one side: its rows and its largest <c>id</c> (null when it has no integer id or no rows).</summary>
internal readonly record struct TableStats(long Rows, long? MaxId);

/// <summary>
/// One side of a copy. As a source it reads every table inside one read-only snapshot; as a destination it writes
/// every table inside one transaction that <see cref="CommitAsync"/> commits and disposing without it rolls back.
/// </summary>
internal abstract class CopyEndpoint : IAsyncDisposable
{
    /// <summary>The store as messages show it (never a password).</summary>
    public abstract string Shown { get; }

    /// <summary>The schema version this build migrates the store's kind to.</summary>
    public abstract int LatestSchemaVersion { get; }

    /// <summary>Connects; as a source, read-only. Unreachable databases end the command with <see cref="ExitCodes.Unreachable"/>.</summary>
    public abstract Task OpenAsync(bool asSource, CancellationToken cancellationToken);

    /// <summary>The recorded schema version, 0 when the store has none.</summary>
    public abstract Task<int> SchemaVersionAsync(CancellationToken cancellationToken);

    /// <summary>Brings the destination's schema to <see cref="LatestSchemaVersion"/> through the store itself.</summary>
    public abstract Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>Starts the snapshot (source) or the transaction (destination) everything after runs in.</summary>
    public abstract Task BeginAsync(CancellationToken cancellationToken);

    /// <summary>The store's tables and their columns.</summary>
    public abstract Task<IReadOnlyDictionary<string, TableShape>> TablesAsync(CancellationToken cancellationToken);

    /// <summary>The rows of a table, streamed, each as neutral values (null for SQL NULL) in the order of <paramref name="columns"/>.</summary>
    public abstract IAsyncEnumerable<object?[]> ReadAsync(string table, IReadOnlyList<CopyColumn> columns, CancellationToken cancellationToken);

    /// <summary>Appends the rows to a table; returns how many were written.</summary>
    public abstract Task<long> WriteAsync(string table, IReadOnlyList<CopyColumn> columns, IAsyncEnumerable<object?[]> rows, CancellationToken cancellationToken);

    /// <summary>The table's row count and largest integer <c>id</c>, inside the snapshot or transaction.</summary>
    public abstract Task<TableStats> StatsAsync(string table, CopyColumn? id, CancellationToken cancellationToken);

    /// <summary>
    /// The highest value the store has handed out for the column's ids, purged rows included, when it keeps one
    /// (a PostgreSQL sequence; SQLite's <c>sqlite_sequence</c>); null otherwise.
    /// </summary>
    public abstract Task<long?> IdHighWaterAsync(string table, string column, CancellationToken cancellationToken);

    /// <summary>Makes the next id the destination hands out for the column greater than <paramref name="highWater"/>.</summary>
    public abstract Task RaiseIdsAsync(string table, string column, long highWater, CancellationToken cancellationToken);

    /// <summary>After the commit: refreshes the planner statistics of the copied tables where the database keeps them.</summary>
    public virtual Task AnalyzeAsync(IEnumerable<string> tables, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Commits the destination's transaction.</summary>
    public abstract Task CommitAsync(CancellationToken cancellationToken);

    /// <inheritdoc />
    public abstract ValueTask DisposeAsync();
}

/// <summary>
/// An endpoint over one ADO.NET connection and the transaction <see cref="CopyEndpoint.BeginAsync"/> opens on it: the
/// commit and the disposal (which rolls back an uncommitted transaction) are the same for every store.
/// </summary>
internal abstract class CopyEndpoint<TConnection, TTransaction> : CopyEndpoint
    where TConnection : DbConnection
    where TTransaction : DbTransaction
{
    /// <summary>The connection once <see cref="CopyEndpoint.OpenAsync"/> made it; null before.</summary>
    private protected TConnection? OpenConnection { get; set; }

    /// <summary>The transaction once <see cref="CopyEndpoint.BeginAsync"/> opened it; null before.</summary>
    private protected TTransaction? Transaction { get; set; }

    public override Task CommitAsync(CancellationToken cancellationToken) =>
        (Transaction ?? throw new InvalidOperationException("No transaction is open.")).CommitAsync(cancellationToken);

    public override async ValueTask DisposeAsync()
    {
        if (Transaction is not null)
            await Transaction.DisposeAsync();
        if (OpenConnection is not null)
            await OpenConnection.DisposeAsync();
    }
}
