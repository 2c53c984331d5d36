using System.Text.Json;
using Conveyor.Storage;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite;

public sealed partial class SqliteJobStore
{
    private static readonly string ApiKeyColumns = SqlText.Get("ApiKeyColumns");

    /// <inheritdoc />
    public async Task ApiKeyInsertAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var inserted = await WriteAsync(now =>
        {
            var insert = Named("ApiKeyInsert");
            insert.Parameters.AddWithValue("@id", key.Id);
            insert.Parameters.AddWithValue("@secret_hash", key.SecretHash);
            insert.Parameters.AddWithValue("@name", key.Name);
            insert.Parameters.AddWithValue("@user_id", key.User);
            insert.Parameters.AddWithValue("@tenant", (object?)key.Tenant ?? DBNull.Value);
            insert.Parameters.AddWithValue("@roles", JsonSerializer.Serialize(key.Roles));
            insert.Parameters.AddWithValue("@created_by", (object?)key.CreatedBy ?? DBNull.Value);
            insert.Parameters.AddWithValue("@now", now);
            return insert.ExecuteNonQuery() == 1;
        }, cancellationToken);
        if (!inserted)
            throw new InvalidOperationException($"An API key with id '{key.Id}' already exists.");
    }

    /// <inheritdoc />
    public async Task<ApiKeyRecord?> ApiKeyGetAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        var keys = await ReadApiKeysAsync($"SELECT {ApiKeyColumns} FROM api_keys WHERE id = @id", id, cancellationToken);
        return keys.Count == 0 ? null : keys[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ApiKeyRecord>> ApiKeysListAsync(CancellationToken cancellationToken) =>
        await ReadApiKeysAsync($"SELECT {ApiKeyColumns} FROM api_keys ORDER BY created_at, id", null, cancellationToken);

    /// <inheritdoc />
    public Task<bool> ApiKeyRevokeAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        return WriteAsync(now =>
        {
            var revoke = Named("ApiKeyRevoke");
            revoke.Parameters.AddWithValue("@id", id);
            revoke.Parameters.AddWithValue("@now", now);
            return revoke.ExecuteNonQuery() == 1;
        }, cancellationToken);
    }

    private async Task<List<ApiKeyRecord>> ReadApiKeysAsync(string sql, string? id, CancellationToken cancellationToken)
    {
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        if (id is not null)
            command.Parameters.AddWithValue("@id", id);
        var keys = new List<ApiKeyRecord>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
            keys.Add(ReadApiKey(r));
        return keys;
    }

    private static ApiKeyRecord ReadApiKey(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        SecretHash = r.GetString(1),
        Name = r.GetString(2),
        User = r.GetString(3),
        Tenant = r.IsDBNull(4) ? null : r.GetString(4),
        Roles = JsonSerializer.Deserialize<string[]>(r.GetString(5)) ?? [],
        CreatedAt = Micros.ToInstant(r.GetInt64(6)),
        CreatedBy = r.IsDBNull(7) ? null : r.GetString(7),
        RevokedAt = r.IsDBNull(8) ? null : Micros.ToInstant(r.GetInt64(8)),
    };
}
