namespace Conveyor.StoreTests.Conformance;

public abstract partial class JobStoreConformanceTests<TFactory>
{
    private static ApiKeyRecord Key(string id, string? tenant = "acme", IReadOnlyList<string>? roles = null) => new()
    {
        Id = id,
        SecretHash = $"hash-of-{id}",
        Name = $"key {id}",
        User = "ann",
        Tenant = tenant,
        Roles = roles ?? ["operator", "reader"],
        CreatedBy = "admin",
        CreatedAt = Start.AddYears(-5), // ignored: the store stamps its own now
    };

    [Fact]
    public async Task An_api_key_is_stored_with_the_stores_time_and_read_back_by_id()
    {
        Time.Advance(TimeSpan.FromMinutes(3));
        await Store.ApiKeyInsertAsync(Key("k1"), CancellationToken.None);
        await Store.ApiKeyInsertAsync(Key("k2", tenant: null, roles: []) with { CreatedBy = null }, CancellationToken.None);

        var k1 = await Store.ApiKeyGetAsync("k1", CancellationToken.None);
        Assert.NotNull(k1);
        Assert.Equal(("k1", "hash-of-k1", "key k1", "ann", "acme", "admin"), (k1.Id, k1.SecretHash, k1.Name, k1.User, k1.Tenant, k1.CreatedBy));
        Assert.Equal(["operator", "reader"], k1.Roles);
        Assert.Equal(Start.AddMinutes(3), k1.CreatedAt);
        Assert.Null(k1.RevokedAt);
        var k2 = (await Store.ApiKeyGetAsync("k2", CancellationToken.None))!;
        Assert.Equal((null, null), (k2.Tenant, k2.CreatedBy));
        Assert.Empty(k2.Roles);
        Assert.Null(await Store.ApiKeyGetAsync("nope", CancellationToken.None));
    }

    [Fact]
    public async Task A_duplicate_api_key_id_is_refused_and_the_first_key_stays()
    {
        await Store.ApiKeyInsertAsync(Key("k1"), CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.ApiKeyInsertAsync(Key("k1") with { SecretHash = "other" }, CancellationToken.None));

        Assert.Equal("hash-of-k1", (await Store.ApiKeyGetAsync("k1", CancellationToken.None))!.SecretHash);
        Assert.Single(await Store.ApiKeysListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Api_keys_are_listed_oldest_first_revoked_ones_too()
    {
        // Ids in the opposite order of creation, so that only the creation time can give this order.
        await Store.ApiKeyInsertAsync(Key("c"), CancellationToken.None);
        Time.Advance(TimeSpan.FromSeconds(1));
        await Store.ApiKeyInsertAsync(Key("b"), CancellationToken.None);
        Time.Advance(TimeSpan.FromSeconds(1));
        await Store.ApiKeyInsertAsync(Key("a"), CancellationToken.None);
        Assert.True(await Store.ApiKeyRevokeAsync("b", CancellationToken.None));

        var keys = await Store.ApiKeysListAsync(CancellationToken.None);

        Assert.Equal(["c", "b", "a"], keys.Select(k => k.Id));
        Assert.Equal([Start, Start.AddSeconds(1), Start.AddSeconds(2)], keys.Select(k => k.CreatedAt));
        Assert.Equal([false, true, false], keys.Select(k => k.RevokedAt is not null));
    }

    [Fact]
    public async Task Revoking_an_api_key_is_true_once_at_the_stores_time_and_false_for_an_unknown_key()
    {
        await Store.ApiKeyInsertAsync(Key("k1"), CancellationToken.None);
        Time.Advance(TimeSpan.FromMinutes(7));

        Assert.True(await Store.ApiKeyRevokeAsync("k1", CancellationToken.None));
        Time.Advance(TimeSpan.FromMinutes(1));
        Assert.False(await Store.ApiKeyRevokeAsync("k1", CancellationToken.None));
        Assert.False(await Store.ApiKeyRevokeAsync("nope", CancellationToken.None));

        Assert.Equal(Start.AddMinutes(7), (await Store.ApiKeyGetAsync("k1", CancellationToken.None))!.RevokedAt);
    }
}
