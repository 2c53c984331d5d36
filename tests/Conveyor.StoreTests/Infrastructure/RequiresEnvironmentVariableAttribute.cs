namespace Conveyor.StoreTests.Infrastructure;

/// <summary>
/// Every test of the class is reported skipped, with <see cref="Reason"/>, when the environment variable is not set
/// (xunit 2 has no skip decided at run time; <see cref="StoreTestFramework"/> reads this attribute at discovery).
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RequiresEnvironmentVariableAttribute(string name, string reason) : Attribute
{
    /// <summary>The variable that must be set.</summary>
    public string Name { get; } = name;

    /// <summary>Why the tests need it and how to provide it.</summary>
    public string Reason { get; } = reason;

    /// <summary>The skip reason when the variable is missing, else null.</summary>
    public string? SkipReason => string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(Name)) ? Reason : null;
}
