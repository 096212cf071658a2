using Cohortly.Contracts;
using Cohortly.Modeling.Events;

namespace Cohortly.Modeling.Tests.Events;

public sealed class AssemblyBoundaryTests
{
    private static string[] References(Type type) =>
        [.. type.Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "")];

    [Fact]
    public void Event_type_contracts_depend_on_neither_orleans_nor_modeling()
    {
        var references = References(typeof(InteractionType));

        Assert.DoesNotContain(references, n => n.StartsWith("Orleans", StringComparison.Ordinal) || n.StartsWith("Microsoft.Orleans", StringComparison.Ordinal));
        Assert.DoesNotContain("Cohortly.Modeling", references);
    }

    [Fact]
    public void Modeling_reads_the_event_type_contracts_without_orleans()
    {
        var references = References(typeof(EventTypes));

        Assert.Contains("Cohortly.Contracts", references);
        Assert.DoesNotContain(references, n => n.StartsWith("Orleans", StringComparison.Ordinal) || n.StartsWith("Microsoft.Orleans", StringComparison.Ordinal));
    }
}
