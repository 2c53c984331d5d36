namespace Conveyor.Cli.Output;

/// <summary>
/// A plain-text table: a header row and aligned columns two spaces apart, numbers right-aligned, no trailing spaces.
/// Cells are cut to <see cref="MaxCell"/> characters so one long error does not push every column off screen.
/// </summary>
internal sealed class Table(params string[] headers)
{
    public const int MaxCell = 60;

    private readonly List<string[]> _rows = [];
    private readonly bool[] _rightAligned = new bool[headers.Length];

    /// <summary>Right-aligns the named columns (counts, ids).</summary>
    public Table AlignRight(params string[] columns)
    {
        foreach (var column in columns)
            _rightAligned[Array.IndexOf(headers, column)] = true;
        return this;
    }

    public void Add(params object?[] cells)
    {
        if (cells.Length != headers.Length)
            throw new ArgumentException($"A row needs {headers.Length} cells, not {cells.Length}.", nameof(cells));
        _rows.Add([.. cells.Select(c => Text.Cut(Text.Cell(c), MaxCell))]);
    }

    public int Count => _rows.Count;

    public void WriteTo(TextWriter output)
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        WriteRow(output, headers, widths);
        foreach (var row in _rows)
            WriteRow(output, row, widths);
    }

    private void WriteRow(TextWriter output, string[] cells, int[] widths)
    {
        var parts = cells.Select((c, i) => _rightAligned[i] ? c.PadLeft(widths[i]) : c.PadRight(widths[i]));
        output.WriteLine(string.Join("  ", parts).TrimEnd());
    }
}
