using Conveyor.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Conveyor.Postgres;

public sealed partial class PostgresJobStore
{
    /// <inheritdoc />
    public async Task ApiKeyInsertAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await using var connection = await OpenAsync(cancellationToken);
        await using var insert = Command(connection, "ApiKeyInsert");
        insert.Parameters.Add(Text("id", key.Id));
        insert.Parameters.Add(Text("secret_hash", key.SecretHash));
        insert.Parameters.Add(Text("name", key.Name));
        insert.Parameters.Add(Text("user_id", key.User));
        insert.Parameters.Add(Text("tenant", key.Tenant));
        insert.Parameters.Add(new NpgsqlParameter<string[]>("roles", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. key.Roles] });
        insert.Parameters.Add(Text("created_by", key.CreatedBy));
        if (await insert.ExecuteNonQueryAsync(cancellationToken) != 1)
            throw new InvalidOperationException($"An API key with id '{key.Id}' already exists.");
    }

    /// <inheritdoc />
    public async Task<ApiKeyRecord?> ApiKeyGetAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        var keys = await ReadApiKeysAsync("ApiKeyGet", id, cancellationToken);
        return keys.Count == 0 ? null : keys[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ApiKeyRecord>> ApiKeysListAsync(CancellationToken cancellationToken) =>
        await ReadApiKeysAsync("ApiKeysList", null, cancellationToken);

    /// <inheritdoc />
    public async Task<bool> ApiKeyRevokeAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        await using var connection = await OpenAsync(cancellationToken);
        await using var revoke = Command(connection, "ApiKeyRevoke");
        revoke.Parameters.Add(Text("id", id));
        return await revoke.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private async Task<List<ApiKeyRecord>> ReadApiKeysAsync(string name, string? id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, name);
        if (id is not null)
            command.Parameters.Add(Text("id", id));
        var keys = new List<ApiKeyRecord>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            keys.Add(new ApiKeyRecord
            {
                Id = r.GetString(0),
                SecretHash = r.GetString(1),
                Name = r.GetString(2),
                User = r.GetString(3),
                Tenant = r.IsDBNull(4) ? null : r.GetString(4),
                Roles = r.GetFieldValue<string[]>(5),
                CreatedAt = r.GetFieldValue<DateTimeOffset>(6),
                CreatedBy = r.IsDBNull(7) ? null : r.GetString(7),
                RevokedAt = r.IsDBNull(8) ? null : r.GetFieldValue<DateTimeOffset>(8),
            });
        }
        return keys;
    }
}
