namespace Cohortly.Contracts;

/// <summary>An operation needs more data than the cluster has seen so far.</summary>
[GenerateSerializer, Alias("cohortly.InsufficientDataException")]
public sealed class InsufficientDataException : Exception
{
    public InsufficientDataException()
    {
    }

    public InsufficientDataException(string message)
        : base(message)
    {
    }

    public InsufficientDataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
