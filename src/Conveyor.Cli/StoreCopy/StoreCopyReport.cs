namespace Conveyor.Cli.StoreCopy;

/// <summary>One copied table: its size on both sides after the copy, and the columns only one side has (not copied).</summary>
internal sealed record TableCopyResult(string Table, TableStats Source, TableStats Destination, IReadOnlyList<string> OneSidedColumns)
{
    public bool Matches => Source == Destination;
}

/// <summary>What <see cref="StoreCopier"/> did: the destination's schema before the copy, and every table it moved.</summary>
internal sealed record StoreCopyReport(string From, string To, int DestinationVersionBefore, int SchemaVersion, IReadOnlyList<TableCopyResult> Tables,
    IReadOnlyList<string> Skipped)
{
    public long Rows => Tables.Sum(t => t.Destination.Rows);
}
