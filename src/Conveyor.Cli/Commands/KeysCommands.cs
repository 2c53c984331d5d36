using System.CommandLine;
using Conveyor.Cli.Http;
using Conveyor.Cli.Output;

namespace Conveyor.Cli.Commands;

/// <summary><c>keys create</c>, <c>keys list</c> and <c>keys revoke</c>: API keys (admin keys only).</summary>
internal static class KeysCommands
{
    public static Command Create(CliContext cli) => new("keys", "API keys (admin keys only)") { CreateKey(cli), List(cli), Revoke(cli) };

    private static Command CreateKey(CliContext cli)
    {
        var name = new Option<string>("--name") { Description = "What the key is for", Required = true };
        var user = new Option<string>("--user") { Description = "The user the key acts as", Required = true };
        var tenant = new Option<string?>("--tenant") { Description = "The tenant the key belongs to [default: none]" };
        var roles = new Option<string[]>("--role") { Description = "A role: admin, operator, submitter or viewer; repeat for more", Required = true, AllowMultipleArgumentsPerToken = true };
        roles.AcceptOnlyFromAmong("admin", "operator", "submitter", "viewer");
        var command = new Command("create", "Create an API key; the key is printed only this once") { name, user, tenant, roles };
        command.SetAction(cli.Remote(async run =>
        {
            var text = await run.Api.PostAsync("v1/keys", new { name = run.Value(name), user = run.Value(user), tenant = run.Result.GetValue(tenant), roles = run.Value(roles) },
                null, run.CancellationToken);
            if (run.Json)
            {
                await run.PrintJsonAsync(text);
                return ExitCodes.Success;
            }
            var created = ApiJson.Read<CreatedKeyModel>(text);
            var k = created.Record;
            await run.Out.WriteLineAsync($"""
                Created key {k.Id} ("{k.Name}") for user {k.User}{(k.Tenant is { } t ? $", tenant {t}" : "")}, roles {string.Join(", ", k.Roles)}.
                It is shown only this once; keep it safe:

                    {created.Key}
                """);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command List(CliContext cli)
    {
        var command = new Command("list", "List API keys (never their secrets)");
        command.Aliases.Add("ls");
        command.SetAction(cli.Remote(async run =>
        {
            var text = await run.Api.GetAsync("v1/keys", null, run.CancellationToken);
            if (run.Json)
            {
                await run.PrintJsonAsync(text);
                return ExitCodes.Success;
            }
            var table = new Table("ID", "NAME", "USER", "TENANT", "ROLES", "CREATED", "BY", "REVOKED");
            foreach (var k in ApiJson.Read<KeyListModel>(text).Keys)
                table.Add(k.Id, k.Name, k.User, k.Tenant, string.Join(",", k.Roles), k.CreatedAt, k.CreatedBy, k.RevokedAt);
            table.WriteTo(run.Out);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Revoke(CliContext cli)
    {
        var id = new Argument<string>("id") { Description = "The key's id (as keys list shows it)" };
        var command = new Command("revoke", "Revoke an API key: at once on this server, within their key cache time (default 10 s) on others") { id };
        command.SetAction(cli.Remote(async run =>
        {
            var keyId = run.Value(id);
            await run.Api.DeleteAsync($"v1/keys/{Uri.EscapeDataString(keyId)}", $"key {keyId}", run.CancellationToken);
            await run.Out.WriteLineAsync(run.Json ? $"{{\"revoked\":\"{System.Text.Encodings.Web.JavaScriptEncoder.Default.Encode(keyId)}\"}}" : $"key {keyId} revoked");
            return ExitCodes.Success;
        }));
        return command;
    }
}
