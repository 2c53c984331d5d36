using System.Data.Common;
using System.Runtime.CompilerServices;

namespace Conveyor.Cli.StoreCopy;

/// <summary>
/// Moves a stopped deployment's state from one store to another of the other kind (SQLite to PostgreSQL or back):
/// checks both schemas, migrates the destination when it has none or an older one, refuses a destination that
/// already holds state, then copies every table of <see cref="CopyTables.Copied"/> in one destination transaction,
/// streaming row by row, keeping every id, moves the destination's id generators past the copied ids, and checks
/// each table's row count and largest id on both sides before it commits. Anything wrong rolls the whole copy back.
/// </summary>
/// <remarks>
/// Columns are discovered at run time on both sides and each table moves the columns both have, converted by the
/// PostgreSQL side's type (<see cref="ColumnType"/>), so a column added by a later migration to both stores is
/// copied without a change here; a new table is not (see <see cref="CopyTables"/>).
/// </remarks>
internal sealed class StoreCopier(CopyEndpoint source, CopyEndpoint destination)
{
    /// <summary>Runs the copy; a refusal or a failed check ends in a <see cref="CliException"/> and commits nothing.</summary>
    public async Task<StoreCopyReport> CopyAsync(CancellationToken cancellationToken)
    {
        // The source first, whole: a source this build cannot copy is refused before the destination is touched.
        await source.OpenAsync(asSource: true, cancellationToken);
        var sourceVersion = await Guard(source, () => source.SchemaVersionAsync(cancellationToken));
        if (sourceVersion == 0)
            throw Refused($"{source.Shown} holds no Conveyor store (no schema version recorded)");
        if (sourceVersion != source.LatestSchemaVersion)
            throw Refused(sourceVersion < source.LatestSchemaVersion
                ? $"{source.Shown} is at schema version {sourceVersion}, this build's is {source.LatestSchemaVersion}: run 'conveyor migrate' on it first"
                : $"{source.Shown} is at schema version {sourceVersion}, newer than this build's ({source.LatestSchemaVersion}): copy with the Conveyor version that wrote it");
        await Guard(source, () => source.BeginAsync(cancellationToken));
        var sourceTables = await Guard(source, () => source.TablesAsync(cancellationToken));
        RefuseUnknownTables(sourceTables, source);

        await destination.OpenAsync(asSource: false, cancellationToken);
        var destinationVersion = await Guard(destination, () => destination.SchemaVersionAsync(cancellationToken));
        if (destinationVersion > destination.LatestSchemaVersion)
            throw Refused($"{destination.Shown} is at schema version {destinationVersion}, newer than this build's ({destination.LatestSchemaVersion}): copy with the Conveyor version that wrote it");
        if (destinationVersion > 0)
            await RefuseHeldStateAsync(await Guard(destination, () => destination.TablesAsync(cancellationToken)), cancellationToken);
        // Migrating an empty destination loses nothing and spares a step; the copy then sees this build's schema.
        if (destinationVersion < destination.LatestSchemaVersion)
            await Guard(destination, () => destination.MigrateAsync(cancellationToken));

        await Guard(destination, () => destination.BeginAsync(cancellationToken));
        var destinationTables = await Guard(destination, () => destination.TablesAsync(cancellationToken));
        RefuseUnknownTables(destinationTables, destination);
        var plan = Plan(sourceTables, destinationTables);
        // Checked again inside the transaction: the decision and the copy see the same destination.
        await RefuseHeldStateAsync(destinationTables, cancellationToken);

        var results = new List<TableCopyResult>();
        foreach (var table in plan)
            results.Add(await CopyTableAsync(table, cancellationToken));
        var mismatch = results.FirstOrDefault(r => !r.Matches);
        if (mismatch is not null)
            throw new CliException(ExitCodes.Failure,
                $"the copy does not match the source, so nothing was committed: {mismatch.Table} has {Describe(mismatch.Source)} in {source.Shown} " +
                $"but {Describe(mismatch.Destination)} in {destination.Shown}");
        await Guard(destination, () => destination.CommitAsync(cancellationToken));
        try
        {
            await destination.AnalyzeAsync(plan.Select(t => t.Table), cancellationToken);
        }
        catch (DbException e)
        {
            throw new CliException(ExitCodes.Failure, $"{destination.Shown}: the copy is committed, but analyzing its tables failed ({OneLine(e.Message)}); run ANALYZE on them before starting the deployment");
        }
        return new StoreCopyReport(source.Shown, destination.Shown, destinationVersion, destination.LatestSchemaVersion, results,
            [.. CopyTables.Skipped.Keys.Where(t => sourceTables.ContainsKey(t) || destinationTables.ContainsKey(t))]);
    }

    /// <summary>A table to copy: its name, the columns both sides have, and the id columns a generator feeds.</summary>
    private sealed record TablePlan(string Table, IReadOnlyList<CopyColumn> Columns, IReadOnlyList<string> GeneratedIds, IReadOnlyList<string> OneSided)
    {
        public CopyColumn? Id => Columns.FirstOrDefault(c => c.Name == "id" && c.Type.IsInteger);
    }

    private List<TablePlan> Plan(IReadOnlyDictionary<string, TableShape> sourceTables, IReadOnlyDictionary<string, TableShape> destinationTables)
    {
        foreach (var (tables, side, other) in new[] { (sourceTables, source, destinationTables), (destinationTables, destination, sourceTables) })
        {
            foreach (var name in tables.Keys.Where(CopyTables.Copied.Contains).Order(StringComparer.Ordinal))
            {
                if (!other.ContainsKey(name))
                    throw Refused($"table {name} exists in {side.Shown} only; both stores must be at this build's schema");
            }
        }
        var plans = new List<TablePlan>();
        foreach (var name in CopyTables.Copied.Where(sourceTables.ContainsKey))
        {
            TableShape from = sourceTables[name], to = destinationTables[name];
            // The PostgreSQL side's types decide every conversion: SQLite's declared types say too little.
            var typed = from.Columns.Any(c => c.Type is not null) ? from : to;
            var columns = new List<CopyColumn>();
            var generated = new List<string>();
            foreach (var column in from.Columns.Where(c => to.Column(c.Name) is not null))
            {
                var shape = typed.Column(column.Name)!;
                var type = shape.Type ?? throw Refused($"column {name}.{column.Name} has the type {shape.DeclaredType}, which store copy cannot convert");
                columns.Add(new CopyColumn(column.Name, type));
                if (shape.Generated)
                    generated.Add(column.Name);
            }
            var oneSided = from.Columns.Select(c => c.Name).Except(to.Columns.Select(c => c.Name))
                .Concat(to.Columns.Select(c => c.Name).Except(from.Columns.Select(c => c.Name)))
                .Select(c => $"{name}.{c}").Where(c => !CopyTables.StorageOnlyColumns.Contains(c)).ToList();
            plans.Add(new TablePlan(name, columns, generated, oneSided));
        }
        return plans;
    }

    /// <summary>Stops at a table that is neither copied nor deliberately left behind: nobody has decided how to move it.</summary>
    private static void RefuseUnknownTables(IReadOnlyDictionary<string, TableShape> tables, CopyEndpoint side)
    {
        var unknown = tables.Keys.Where(t => !CopyTables.Copied.Contains(t) && !CopyTables.Skipped.ContainsKey(t)).Order(StringComparer.Ordinal).FirstOrDefault();
        if (unknown is not null)
            throw Refused($"table {unknown} of {side.Shown} is not one this build knows how to copy; use the Conveyor version that created it");
    }

    private async Task<TableCopyResult> CopyTableAsync(TablePlan table, CancellationToken cancellationToken)
    {
        var before = await Guard(source, () => source.StatsAsync(table.Table, table.Id, cancellationToken));
        var written = await Guard(destination, () => destination.WriteAsync(table.Table, table.Columns, Rows(table, cancellationToken), cancellationToken));
        foreach (var column in table.GeneratedIds)
        {
            // Past the copied ids, and past any the source handed out to rows since purged: an id is never reused.
            var highWater = Math.Max(await Guard(source, () => source.IdHighWaterAsync(table.Table, column, cancellationToken)) ?? 0, before.MaxId ?? 0);
            await Guard(destination, () => destination.RaiseIdsAsync(table.Table, column, highWater, cancellationToken));
        }
        var after = await Guard(destination, () => destination.StatsAsync(table.Table, table.Id, cancellationToken));
        if (written != before.Rows)
            throw new CliException(ExitCodes.Failure, $"{table.Table}: read {written} rows of the {before.Rows} in {source.Shown}, so nothing was committed (is the source still running?)");
        return new TableCopyResult(table.Table, before, after, table.OneSided);
    }

    private async IAsyncEnumerable<object?[]> Rows(TablePlan table, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var rows = source.ReadAsync(table.Table, table.Columns, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            bool more;
            try
            {
                more = await rows.MoveNextAsync();
            }
            catch (Exception e) when (e is DbException or FormatException or System.Text.Json.JsonException or InvalidCastException or OverflowException)
            {
                throw new CliException(ExitCodes.Failure, $"cannot read {table.Table} from {source.Shown}, so nothing was committed: {OneLine(e.Message)}");
            }
            if (!more)
                yield break;
            yield return rows.Current;
        }
    }

    private async Task RefuseHeldStateAsync(IReadOnlyDictionary<string, TableShape> tables, CancellationToken cancellationToken)
    {
        var held = new List<string>();
        foreach (var name in CopyTables.Copied.Where(tables.ContainsKey))
        {
            var stats = await Guard(destination, () => destination.StatsAsync(name, null, cancellationToken));
            if (stats.Rows > 0)
                held.Add($"{name}: {stats.Rows}");
        }
        if (held.Count > 0)
            throw Refused($"{destination.Shown} already holds data ({string.Join(", ", held)}); store copy fills an empty store only, it never merges");
    }

    /// <summary>Runs one step on one side, turning a database error into one line that names the side.</summary>
    private static async Task<T> Guard<T>(CopyEndpoint side, Func<Task<T>> step)
    {
        try
        {
            return await step();
        }
        catch (Exception e) when (e is DbException or OverflowException or InvalidCastException or ConveyorException)
        {
            throw new CliException(ExitCodes.Failure, $"{side.Shown}: {OneLine(e.Message)}; nothing was committed");
        }
    }

    private static Task Guard(CopyEndpoint side, Func<Task> step) => Guard(side, async () =>
    {
        await step();
        return true;
    });

    private static CliException Refused(string message) => new(ExitCodes.Failure, message);

    private static string Describe(TableStats stats) => stats.MaxId is { } max ? $"{stats.Rows} rows up to id {max}" : $"{stats.Rows} rows";

    private static string OneLine(string message) => Http.ApiErrors.Sentence(message.ReplaceLineEndings(" "));
}
