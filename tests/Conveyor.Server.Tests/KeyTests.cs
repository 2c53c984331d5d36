using System.Net;
using Conveyor.Storage;

namespace Conveyor.Server.Tests;

public sealed class KeyTests : IAsyncLifetime
{
    private ServerFixture _server = null!;

    public async Task InitializeAsync() => _server = await ServerFixture.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_key_is_shown_once_stored_only_as_a_hash_and_stops_working_when_revoked()
    {
        using var admin = _server.Admin();
        var created = await admin.PostJsonAsync("/v1/keys", """{"name":"ci","user":"ci-bot","tenant":"acme","roles":["submitter"]}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.JsonAsync();
        var key = body.GetProperty("key").GetString()!;
        var id = body.GetProperty("record").GetProperty("id").GetString()!;
        Assert.StartsWith($"cvk_{id}_", key);

        var listing = await (await admin.GetAsync("/v1/keys")).Content.ReadAsStringAsync();
        Assert.Contains(id, listing);
        Assert.DoesNotContain(key, listing);
        var secret = key[(key.LastIndexOf('_') + 1)..];
        var stored = await (await _server.Service<StoreAccessor>().GetAsync(default)).ApiKeyGetAsync(id, default);
        Assert.NotNull(stored);
        Assert.NotEqual(secret, stored.SecretHash);
        Assert.DoesNotContain(secret, stored.SecretHash);

        using var bot = _server.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await bot.GetAsync("/v1/jobs")).StatusCode);
        // The key is cached now; its id with another secret is still refused.
        using var impostor = _server.Client($"cvk_{id}_{new string('A', secret.Length)}");
        await (await impostor.GetAsync("/v1/jobs")).AssertProblemAsync(401);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/keys/{id}")).StatusCode);
        await (await bot.GetAsync("/v1/jobs")).AssertProblemAsync(401);
        await (await admin.DeleteAsync($"/v1/keys/{id}")).AssertProblemAsync(404);
    }

    [Theory]
    [InlineData("""{"name":"x","user":"u","roles":["root"]}""", "roles")]
    [InlineData("""{"name":"x","user":"u","roles":[]}""", "roles")]
    [InlineData("""{"name":"x","roles":["viewer"]}""", "user")]
    [InlineData("""{"name":"","user":"u","roles":["viewer"]}""", "name")]
    public async Task A_bad_key_request_names_the_field(string body, string field)
    {
        using var admin = _server.Admin();
        await (await admin.PostJsonAsync("/v1/keys", body)).AssertProblemAsync(400, field);
    }

    [Fact]
    public async Task Only_an_admin_manages_keys()
    {
        using var olga = await _server.UserAsync("olga", "acme", "operator");
        await (await olga.PostJsonAsync("/v1/keys", """{"name":"x","user":"u","roles":["admin"]}""")).AssertProblemAsync(403);
        await (await olga.DeleteAsync("/v1/keys/whatever")).AssertProblemAsync(403);
    }
}
