using System.Globalization;
using System.Text.Json;
using NpgsqlTypes;

namespace Conveyor.Cli.StoreCopy;

/// <summary>What a copied column holds, as its PostgreSQL type says (SQLite's declared types are too loose to tell).</summary>
internal enum ColumnKind
{
    Text,
    Json,
    Int16,
    Int32,
    Int64,
    Real,
    Double,
    Boolean,
    Timestamp,
    Interval,
    TextArray,
    Bytes,
}

/// <summary>
/// One column's type on both sides and the conversions between them. Values travel between the sides in one neutral
/// form per kind: <see cref="string"/> (text, JSON), <see cref="long"/> (every integer width), <see cref="double"/>,
/// <see cref="bool"/>, <see cref="DateTime"/> in UTC (timestamptz; SQLite keeps microseconds since the Unix epoch),
/// <see cref="TimeSpan"/> (interval; SQLite keeps microseconds), <c>string[]</c> (text[]; SQLite keeps a JSON array) and
/// <c>byte[]</c>. Both stores keep microseconds, so every conversion is exact.
/// </summary>
internal sealed record ColumnType(ColumnKind Kind, NpgsqlDbType PostgresType)
{
    /// <summary>
    /// The kind of a PostgreSQL column from <c>information_schema.columns</c> (<c>data_type</c>, <c>udt_name</c>);
    /// null for a type the copier cannot move.
    /// </summary>
    public static ColumnType? FromPostgres(string dataType, string udtName) => (dataType, udtName) switch
    {
        ("text" or "character varying" or "character", _) => new(ColumnKind.Text, NpgsqlDbType.Text),
        ("json", _) => new(ColumnKind.Json, NpgsqlDbType.Json),
        ("jsonb", _) => new(ColumnKind.Json, NpgsqlDbType.Jsonb),
        ("smallint", _) => new(ColumnKind.Int16, NpgsqlDbType.Smallint),
        ("integer", _) => new(ColumnKind.Int32, NpgsqlDbType.Integer),
        ("bigint", _) => new(ColumnKind.Int64, NpgsqlDbType.Bigint),
        ("real", _) => new(ColumnKind.Real, NpgsqlDbType.Real),
        ("double precision", _) => new(ColumnKind.Double, NpgsqlDbType.Double),
        ("boolean", _) => new(ColumnKind.Boolean, NpgsqlDbType.Boolean),
        ("timestamp with time zone", _) => new(ColumnKind.Timestamp, NpgsqlDbType.TimestampTz),
        ("interval", _) => new(ColumnKind.Interval, NpgsqlDbType.Interval),
        ("ARRAY", "_text" or "_varchar") => new(ColumnKind.TextArray, NpgsqlDbType.Array | NpgsqlDbType.Text),
        ("bytea", _) => new(ColumnKind.Bytes, NpgsqlDbType.Bytea),
        _ => null,
    };

    /// <summary>Whether the column holds an integer (a candidate for a row count's companion, the largest id).</summary>
    public bool IsInteger => Kind is ColumnKind.Int16 or ColumnKind.Int32 or ColumnKind.Int64;

    /// <summary>A value as SQLite returned it (long, double, string, byte[]) in the neutral form.</summary>
    public object FromSqlite(object value) => Kind switch
    {
        ColumnKind.Text or ColumnKind.Json => value as string ?? Convert.ToString(value, CultureInfo.InvariantCulture)!,
        ColumnKind.Int16 or ColumnKind.Int32 or ColumnKind.Int64 => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        ColumnKind.Real or ColumnKind.Double => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        ColumnKind.Boolean => Convert.ToInt64(value, CultureInfo.InvariantCulture) != 0,
        ColumnKind.Timestamp => DateTime.UnixEpoch.AddTicks(checked(Convert.ToInt64(value, CultureInfo.InvariantCulture) * TicksPerMicrosecond)),
        ColumnKind.Interval => TimeSpan.FromTicks(checked(Convert.ToInt64(value, CultureInfo.InvariantCulture) * TicksPerMicrosecond)),
        ColumnKind.TextArray => JsonSerializer.Deserialize<string[]>((string)value) ?? [],
        ColumnKind.Bytes => (byte[])value,
        _ => throw new InvalidOperationException($"No SQLite conversion for {Kind}."),
    };

    /// <summary>A neutral value as SQLite stores it.</summary>
    public object ToSqlite(object value) => Kind switch
    {
        ColumnKind.Boolean => (bool)value ? 1L : 0L,
        ColumnKind.Timestamp => (((DateTime)value).ToUniversalTime() - DateTime.UnixEpoch).Ticks / TicksPerMicrosecond,
        ColumnKind.Interval => ((TimeSpan)value).Ticks / TicksPerMicrosecond,
        // The stores write their arrays with the default serializer; the same one keeps a round trip identical.
        ColumnKind.TextArray => JsonSerializer.Serialize((string[])value),
        _ => value,
    };

    /// <summary>A value as Npgsql returned it in the neutral form.</summary>
    public object FromPostgres(object value) => Kind switch
    {
        ColumnKind.Int16 or ColumnKind.Int32 or ColumnKind.Int64 => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        ColumnKind.Real or ColumnKind.Double => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        ColumnKind.Timestamp => DateTime.SpecifyKind((DateTime)value, DateTimeKind.Utc),
        _ => value,
    };

    /// <summary>A neutral value as the PostgreSQL column takes it; an integer too wide for the column throws <see cref="OverflowException"/>.</summary>
    public object ToPostgres(object value) => Kind switch
    {
        ColumnKind.Int16 => checked((short)(long)value),
        ColumnKind.Int32 => checked((int)(long)value),
        ColumnKind.Real => (float)(double)value,
        _ => value,
    };

    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000;
}
