using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("Conveyor.StoreTests.Infrastructure.StoreTestFramework", "Conveyor.StoreTests")]

namespace Conveyor.StoreTests.Infrastructure;

/// <summary>
/// xunit's own framework, except that the tests of a class marked <see cref="RequiresEnvironmentVariableAttribute"/>
/// are discovered as skipped, with the attribute's reason, while the variable is missing. Inherited tests (the
/// conformance suite) carry the base class's <c>[Fact]</c>, so the skip has to be decided here, per class.
/// </summary>
public sealed class StoreTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkDiscoverer CreateDiscoverer(IAssemblyInfo assemblyInfo) =>
        new Discoverer(assemblyInfo, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Discoverer(IAssemblyInfo assembly, ISourceInformationProvider source, IMessageSink sink)
        : XunitTestFrameworkDiscoverer(assembly, source, sink)
    {
        protected override bool FindTestsForMethod(ITestMethod testMethod, bool includeSourceInformation, IMessageBus messageBus, ITestFrameworkDiscoveryOptions discoveryOptions)
        {
            if (SkippedTestCase.ReasonFor(testMethod) is null || !testMethod.Method.GetCustomAttributes(typeof(FactAttribute)).Any())
                return base.FindTestsForMethod(testMethod, includeSourceInformation, messageBus, discoveryOptions);
            var skipped = new SkippedTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod);
            return ReportDiscoveredTestCase(skipped, includeSourceInformation, messageBus);
        }
    }
}

/// <summary>A test (a whole theory, when it is one) skipped because its class's environment is missing.</summary>
public sealed class SkippedTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public SkippedTestCase() { }

    public SkippedTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod testMethod)
        : base(sink, display, options, testMethod) { }

    public static string? ReasonFor(ITestMethod testMethod) =>
        testMethod.TestClass.Class.GetCustomAttributes(typeof(RequiresEnvironmentVariableAttribute))
            .OfType<IReflectionAttributeInfo>()
            .Select(a => ((RequiresEnvironmentVariableAttribute)a.Attribute).SkipReason)
            .FirstOrDefault(r => r is not null);

    protected override string GetSkipReason(IAttributeInfo factAttribute) => ReasonFor(TestMethod) ?? "Its environment is missing.";
}
