using Cohortly.ClusterProcesses;

namespace Cohortly.Integration.Tests;

/// <summary>The settings every cluster-mode test starts its <see cref="LocalCluster"/> with.</summary>
internal static class ClusterSettings
{
    public const string AppKey = "it-app-key";
    public const string AdminKey = "it-admin-key";

    /// <summary>Short flush, poll and write-behind periods so a test sees effects within a second or two.</summary>
    public static LocalClusterOptions Options(string name, string? appendFsync = null, IReadOnlyDictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string>
        {
            ["Cohortly__Flush"] = "00:00:00.200",
            ["Cohortly__CachePoll"] = "00:00:00.200",
            ["Cohortly__Users__WriteBehind"] = "00:00:01",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        return new LocalClusterOptions { Name = name, AppKey = AppKey, AdminKey = AdminKey, AppendFsync = appendFsync, Environment = env };
    }
}
