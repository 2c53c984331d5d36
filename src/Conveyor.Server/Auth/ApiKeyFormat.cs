using System.Security.Cryptography;
using System.Text;

namespace Conveyor.Server.Auth;

/// <summary>
/// An API key is <c>cvk_&lt;id&gt;_&lt;secret&gt;</c>: the id finds the stored record, the secret proves possession. Only
/// the SHA-256 of the secret is stored; a fast hash suffices because the secret is 256 random bits, not a password.
/// </summary>
internal static class ApiKeyFormat
{
    private const string Prefix = "cvk_";

    public static (string Id, string Key, string SecretHash) Generate()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (id, $"{Prefix}{id}_{secret}", Hash(secret));
    }

    public static bool TryParse(string key, out string id, out string secret)
    {
        id = secret = "";
        if (!key.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        var rest = key.AsSpan(Prefix.Length);
        var split = rest.IndexOf('_');
        if (split <= 0 || split == rest.Length - 1)
            return false;
        (id, secret) = (rest[..split].ToString(), rest[(split + 1)..].ToString());
        return true;
    }

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static bool Matches(string secret, string storedHash) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(secret)), Encoding.ASCII.GetBytes(storedHash));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
