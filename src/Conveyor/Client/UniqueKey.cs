using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Conveyor.Client;

/// <summary>
/// The unique key of a submission whose job type is unique for a period (<see cref="JobTypeOptions.UniqueFor"/>): the
/// kind, then the SHA-256 of the canonical JSON of the declared fields' values.
/// </summary>
/// <remarks>
/// Canonical JSON: the values in declaration order as <c>[["field", value], …]</c>, written without whitespace, strings
/// re-escaped the one way <see cref="Utf8JsonWriter"/> does (so <c>"\u0041"</c> and <c>"A"</c> are equal), object
/// properties sorted by name (ordinal), numbers as written. So the string <c>"1"</c> and the number <c>1</c> differ, as
/// do <c>1</c> and <c>1.0</c>; a typed payload always serialises one number one way. The hash keeps the key short
/// whatever the values (an index entry has a size limit) and the kind keeps two types apart.
/// </remarks>
internal static class UniqueKey
{
    /// <summary>The key of <paramref name="payloadJson"/>, or null when the type is not unique.</summary>
    /// <exception cref="JobValidationException">The payload is not a JSON object, or lacks a declared field (named <c>{at}payload.{field}</c>).</exception>
    public static string? For(JobTypeOptions type, string payloadJson, string at)
    {
        if (type.UniquePeriod is null)
            return null;
        using var document = Parse(payloadJson, type, at);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new JobValidationException(at + "payload", $"must be a JSON object: job type '{type.Kind}' is unique by fields of its payload.");
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var field in type.UniqueFields)
            {
                if (!root.TryGetProperty(field, out var value))
                    throw new JobValidationException($"{at}payload.{field}", $"is missing; job type '{type.Kind}' is unique by it (UniqueFor), so every payload must have it (null is a value).");
                writer.WriteStartArray();
                writer.WriteStringValue(field);
                WriteCanonical(writer, value);
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
        }
        return $"{type.Kind}:{Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan))}";
    }

    private static JsonDocument Parse(string payloadJson, JobTypeOptions type, string at)
    {
        try
        {
            return JsonDocument.Parse(payloadJson);
        }
        catch (JsonException e)
        {
            throw new JobValidationException(at + "payload", $"is not plain JSON, which job type '{type.Kind}' needs to read the fields it is unique by: {e.Message}");
        }
    }

    /// <summary>The canonical JSON text of the values, as hashed (for tests and docs).</summary>
    internal static string Canonical(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
            WriteCanonical(writer, value);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteCanonical(writer, property.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                    WriteCanonical(writer, item);
                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(value.GetString());
                break;
            default:
                // Numbers as written; true, false and null have one spelling.
                writer.WriteRawValue(value.GetRawText(), skipInputValidation: true);
                break;
        }
    }
}
