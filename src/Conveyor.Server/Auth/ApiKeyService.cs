using System.Collections.Concurrent;
using Conveyor.Storage;
using Microsoft.Extensions.Options;

namespace Conveyor.Server.Auth;

/// <summary>Creates, verifies and revokes API keys; verified keys are cached briefly so a request costs no store read.</summary>
internal sealed class ApiKeyService(StoreAccessor store, IOptions<ConveyorServerOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (ApiKeyRecord Record, DateTimeOffset Until)> _verified = new(StringComparer.Ordinal);

    /// <summary>Creates a key and returns it: the only time the full key is ever seen.</summary>
    public async Task<(ApiKeyRecord Record, string Key)> CreateAsync(string name, string user, string? tenant, IReadOnlyList<string> roles, string? createdBy, CancellationToken cancellationToken)
    {
        var (id, key, hash) = ApiKeyFormat.Generate();
        var record = new ApiKeyRecord { Id = id, SecretHash = hash, Name = name, User = user, Tenant = tenant, Roles = roles, CreatedBy = createdBy };
        var s = await store.GetAsync(cancellationToken);
        await s.ApiKeyInsertAsync(record, cancellationToken);
        return ((await s.ApiKeyGetAsync(id, cancellationToken))!, key);
    }

    /// <summary>The caller a presented key stands for, or null when it is malformed, unknown, wrong or revoked.</summary>
    public async Task<Caller?> VerifyAsync(string key, CancellationToken cancellationToken)
    {
        if (!ApiKeyFormat.TryParse(key, out var id, out var secret))
            return null;
        var now = time.GetUtcNow();
        // The cache saves the store read, not the check: the secret is compared with the stored hash every time, in constant time.
        if (_verified.TryGetValue(id, out var hit) && hit.Until > now)
            return ApiKeyFormat.Matches(secret, hit.Record.SecretHash) ? ToCaller(hit.Record) : null;
        var record = await (await store.GetAsync(cancellationToken)).ApiKeyGetAsync(id, cancellationToken);
        if (record is null || record.RevokedAt is not null || !ApiKeyFormat.Matches(secret, record.SecretHash))
        {
            _verified.TryRemove(id, out _);
            return null;
        }
        _verified[id] = (record, now + options.Value.KeyCacheDuration);
        return ToCaller(record);
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken) =>
        await (await store.GetAsync(cancellationToken)).ApiKeysListAsync(cancellationToken);

    public async Task<bool> RevokeAsync(string id, CancellationToken cancellationToken)
    {
        var revoked = await (await store.GetAsync(cancellationToken)).ApiKeyRevokeAsync(id, cancellationToken);
        _verified.TryRemove(id, out _);
        return revoked;
    }

    private static Caller ToCaller(ApiKeyRecord record) => new(record.Id, record.User, record.Tenant, record.Roles);
}
