using System.Globalization;

namespace Conveyor.Server.Api;

/// <summary>Parses numeric query parameters by hand, so a malformed one gets a problem naming it instead of an empty 400.</summary>
internal static class QueryArgs
{
    public static bool TryLong(HttpContext http, string name, long min, long max, out long? value, out IResult? problem)
    {
        value = null;
        problem = null;
        var raw = http.Request.Query[name].ToString();
        if (raw.Length == 0)
            return true;
        if (long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) && parsed >= min && parsed <= max)
        {
            value = parsed;
            return true;
        }
        problem = Problems.Invalid(name, $"must be a whole number from {min} to {max}.");
        return false;
    }

    public static bool TryDouble(HttpContext http, string name, double minExclusive, double max, out double? value, out IResult? problem)
    {
        value = null;
        problem = null;
        var raw = http.Request.Query[name].ToString();
        if (raw.Length == 0)
            return true;
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed) && parsed > minExclusive && parsed <= max)
        {
            value = parsed;
            return true;
        }
        problem = Problems.Invalid(name, $"must be a number above {minExclusive} and at most {max}.");
        return false;
    }
}
