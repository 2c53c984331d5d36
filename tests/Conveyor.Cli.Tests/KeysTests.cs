namespace Conveyor.Cli.Tests;

public sealed class KeysTests(CliServer server) : IClassFixture<CliServer>
{
    [Fact]
    public async Task Create_prints_the_key_once_and_it_works()
    {
        var created = await server.RunAsync("keys", "create", "--name", "ci", "--user", "ada", "--tenant", "acme", "--role", "submitter", "--role", "viewer");
        created.AssertSuccess();
        Assert.Contains("for user ada, tenant acme, roles submitter, viewer", created.Out);
        var key = created.OutLines.Single(l => l.StartsWith("cvk_", StringComparison.Ordinal));

        var listed = await server.RunAsync(["ls"], key);
        listed.AssertSuccess();
    }

    [Fact]
    public async Task List_shows_keys_without_secrets_and_revoke_stops_a_key()
    {
        var key = await server.KeyAsync("bob", null, "operator");
        var id = key.Split('_')[1];

        var list = await server.RunAsync("keys", "list");
        list.AssertSuccess();
        Assert.StartsWith("ID", list.OutLines[0]);
        var row = Assert.Single(list.OutLines, l => l.StartsWith(id + " ", StringComparison.Ordinal));
        Assert.Contains("bob", row);
        Assert.Contains("operator", row);
        Assert.DoesNotContain(key, list.Out);

        var json = (await server.RunAsync("keys", "list", "--json")).AssertSuccess().Json();
        Assert.Contains(json.GetProperty("keys").EnumerateArray(), k => k.GetProperty("id").GetString() == id);

        (await server.RunAsync("keys", "revoke", id)).AssertSuccess();
        (await server.RunAsync(["stats"], key)).AssertError(ExitCodes.Unauthorized, "conveyor: the API key was refused (401)");
        (await server.RunAsync("keys", "revoke", "nosuchkey")).AssertError(ExitCodes.NotFound, "conveyor: key nosuchkey was not found (404)");
    }

    [Fact]
    public async Task Create_checks_roles_and_required_options_before_sending()
    {
        (await server.RunAsync("keys", "create", "--name", "x", "--user", "u", "--role", "superuser"))
            .AssertError(ExitCodes.Usage, "conveyor: argument 'superuser' not recognized. Must be one of: 'admin' 'operator' 'submitter' 'viewer' (see 'conveyor --help')");
        (await server.RunAsync("keys", "create", "--name", "x", "--role", "admin"))
            .AssertError(ExitCodes.Usage, "conveyor: option '--user' is required");
    }

    [Fact]
    public async Task Only_an_admin_key_manages_keys()
    {
        var viewer = await server.KeyAsync("vera", null, "viewer");
        (await server.RunAsync(["keys", "list"], viewer)).AssertError(ExitCodes.Unauthorized, "conveyor: not allowed: only an admin key can manage API keys (403)");
    }
}
