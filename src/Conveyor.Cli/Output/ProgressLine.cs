using System.Globalization;
using Conveyor.Cli.Http;

namespace Conveyor.Cli.Output;

/// <summary>
/// The one line <c>conveyor watch</c> shows: a bar, the percentage, the job's state, and the phase and message of
/// its last progress report, updated from each event. On a terminal the line is redrawn in place; otherwise each
/// change is written as a new line, so a log of the output keeps every phase.
/// </summary>
internal sealed class ProgressLine(TextWriter output, bool redraw, long jobId)
{
    private const int BarWidth = 24;

    private double? _percent;
    private string _state = "pending";
    private string _detail = "";
    private string? _last;
    private int _lastWidth;

    /// <summary>Takes one event into the line and writes the line if it changed.</summary>
    public async Task ApplyAsync(EventModel e)
    {
        switch (e.Kind)
        {
            case "enqueued" or "requeued" or "released" or "stuck":
                _state = "pending";
                break;
            case "started":
                _state = e.Attempt > 1 ? $"running (attempt {e.Attempt.ToString(CultureInfo.InvariantCulture)})" : "running";
                break;
            case "progress":
                (_percent, _detail) = ParseProgress(e.Message);
                break;
            case "retry_scheduled":
                _state = "retry scheduled";
                _detail = e.Message ?? "";
                break;
            case "snoozed":
                _state = "snoozed";
                _detail = e.Message ?? "";
                break;
            case "cancel_requested":
                _state = "cancelling";
                break;
            case "succeeded":
                _state = "succeeded";
                _percent = 100;
                break;
            case "failed" or "cancelled":
                _state = e.Kind;
                if (e.Message is { Length: > 0 } reason)
                    _detail = reason;
                break;
            default:
                return;   // log lines and kinds this CLI does not know leave the line as it is
        }
        await WriteAsync();
    }

    /// <summary>Ends the redrawn line, so what follows starts on its own.</summary>
    public async Task FinishAsync()
    {
        if (redraw && _last is not null)
            await output.WriteLineAsync();
    }

    internal string Render()
    {
        var filled = _percent is { } p ? (int)Math.Round(BarWidth * Math.Clamp(p, 0, 100) / 100) : 0;
        var percent = _percent is { } q ? $"{q.ToString("0", CultureInfo.InvariantCulture),3}%" : "  -%";
        var line = $"job {jobId.ToString(CultureInfo.InvariantCulture)}  [{new string('#', filled)}{new string('.', BarWidth - filled)}] {percent}  {_state}";
        return _detail.Length > 0 ? $"{line}  {Text.Cut(Text.OneLine(_detail), 100)}" : line;
    }

    private async Task WriteAsync()
    {
        var line = Render();
        if (line == _last)
            return;
        if (redraw)
            await output.WriteAsync("\r" + line.PadRight(_lastWidth));
        else
            await output.WriteLineAsync(line);
        await output.FlushAsync();
        _last = line;
        _lastWidth = line.Length;
    }

    /// <summary>
    /// The stores write a progress event's message as its parts joined by " · ": "40% · render · page 2 of 5", each
    /// part only when set. The percentage leads when present; the rest is the phase and the message.
    /// </summary>
    internal static (double? Percent, string Detail) ParseProgress(string? message)
    {
        if (string.IsNullOrEmpty(message))
            return (null, "");
        var parts = message.Split(" · ", 2);
        if (parts[0].EndsWith('%') && double.TryParse(parts[0][..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent))
            return (percent, parts.Length > 1 ? parts[1] : "");
        return (null, message);
    }
}
