using System.Text;

namespace Conveyor.Cli.Http;

/// <summary>One Server-Sent Event: its id (null when the server sent none), its type and its data.</summary>
internal sealed record ServerSentEvent(long? Id, string Type, string Data);

/// <summary>Assembles events from the lines of a <c>text/event-stream</c>, as the HTML standard describes; comments are skipped.</summary>
internal sealed class ServerSentEventParser
{
    private readonly StringBuilder _data = new();
    private string? _type;
    private long? _id;
    private bool _hasData;

    /// <summary>Takes one line (without its end); returns the event a blank line completes, if any.</summary>
    public ServerSentEvent? Feed(string line)
    {
        if (line.Length == 0)
        {
            if (!_hasData)
            {
                _type = null;
                return null;
            }
            var completed = new ServerSentEvent(_id, _type ?? "message", _data.ToString());
            _data.Clear();
            _hasData = false;
            _type = null;
            return completed;
        }
        if (line[0] == ':')
            return null;
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        var field = colon < 0 ? line : line[..colon];
        var value = colon < 0 ? "" : line[(colon + 1)..];
        if (value.StartsWith(' '))
            value = value[1..];
        switch (field)
        {
            case "data":
                if (_hasData)
                    _data.Append('\n');
                _data.Append(value);
                _hasData = true;
                break;
            case "event":
                _type = value;
                break;
            case "id":
                if (long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
                    _id = id;
                break;
        }
        return null;
    }
}
