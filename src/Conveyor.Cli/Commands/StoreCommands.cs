using System.CommandLine;
using System.Text.Json;
using Conveyor.Cli.Output;
using Conveyor.Cli.StoreCopy;

namespace Conveyor.Cli.Commands;

/// <summary><c>store copy</c>: moves a stopped deployment's state between a SQLite and a PostgreSQL store, directly, without a server.</summary>
internal static class StoreCommands
{
    public static Command Create(CliContext cli) => new("store", "Stores, directly, without a server: copy one into another") { Copy(cli) };

    private static Command Copy(CliContext cli)
    {
        var from = new Option<string>("--from") { Description = $"The stopped deployment's store: {StoreSetting.Help}", Required = true, HelpName = "store" };
        var to = new Option<string>("--to") { Description = $"The empty store to fill (migrated first when it has no or an older schema): {StoreSetting.Help}", Required = true, HelpName = "store" };
        var fromSchema = new Option<string?>("--from-schema") { Description = "The source's PostgreSQL schema [default: conveyor]", HelpName = "schema" };
        var toSchema = new Option<string?>("--to-schema") { Description = "The destination's PostgreSQL schema [default: conveyor]", HelpName = "schema" };
        var command = new Command("copy",
            "Copy jobs, history, steps, questions, queues and API keys from a stopped store into an empty one of the other kind, keeping every id, and check the counts")
        {
            from, to, fromSchema, toSchema,
        };
        command.SetAction(cli.Local(async (result, cancellationToken) =>
        {
            var source = StoreSpec.Endpoint("--from", result.GetValue(from)!, result.GetValue(fromSchema));
            var destination = StoreSpec.Endpoint("--to", result.GetValue(to)!, result.GetValue(toSchema));
            if (source.GetType() == destination.GetType())
                throw CliException.Usage("store copy moves between SQLite and PostgreSQL; copy a store to one of its own kind with the database's tools (sqlite3 .backup, pg_dump)");
            StoreCopyReport report;
            await using (source)
            await using (destination)
                report = await new StoreCopier(source, destination).CopyAsync(cancellationToken);
            if (result.GetValue(cli.JsonOption))
                await cli.Out.WriteLineAsync(Json(report));
            else
                await WriteTextAsync(cli.Out, report);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task WriteTextAsync(TextWriter output, StoreCopyReport report)
    {
        if (report.DestinationVersionBefore != report.SchemaVersion)
            await output.WriteLineAsync($"{report.To}: migrated the schema from version {report.DestinationVersionBefore} to {report.SchemaVersion}");
        var table = new Table("TABLE", "SOURCE ROWS", "COPIED ROWS", "SOURCE MAX ID", "COPIED MAX ID")
            .AlignRight("SOURCE ROWS", "COPIED ROWS", "SOURCE MAX ID", "COPIED MAX ID");
        foreach (var t in report.Tables)
            table.Add(t.Table, t.Source.Rows, t.Destination.Rows, t.Source.MaxId, t.Destination.MaxId);
        table.WriteTo(output);
        foreach (var column in report.Tables.SelectMany(t => t.OneSidedColumns))
            await output.WriteLineAsync($"not copied: column {column} exists on one side only");
        if (report.Skipped.Count > 0)
            await output.WriteLineAsync($"not copied: {string.Join(", ", report.Skipped.Select(s => $"{s} ({CopyTables.Skipped[s]})"))}");
        await output.WriteLineAsync($"copied {report.Rows} rows from {report.From} to {report.To}; every table's count and largest id match");
    }

    private static string Json(StoreCopyReport report)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("from", report.From);
            json.WriteString("to", report.To);
            json.WriteNumber("schemaVersionBefore", report.DestinationVersionBefore);
            json.WriteNumber("schemaVersion", report.SchemaVersion);
            json.WriteNumber("rows", report.Rows);
            json.WriteStartArray("tables");
            foreach (var t in report.Tables)
            {
                json.WriteStartObject();
                json.WriteString("table", t.Table);
                json.WriteNumber("sourceRows", t.Source.Rows);
                json.WriteNumber("copiedRows", t.Destination.Rows);
                WriteNullable(json, "sourceMaxId", t.Source.MaxId);
                WriteNullable(json, "copiedMaxId", t.Destination.MaxId);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("skipped");
            foreach (var s in report.Skipped)
                json.WriteStringValue(s);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } v)
            json.WriteNumber(name, v);
        else
            json.WriteNull(name);
    }
}
