namespace Cohortly.TestSupport;

/// <summary>
/// How a <see cref="RedisServer"/> guards itself. <see cref="Password"/> alone: <c>--requirepass</c> (the default
/// user). With <see cref="User"/>: an ACL user with that password and every permission, and the default user
/// turned off, so only that user gets in. <see cref="Tls"/>: only a TLS port, with a certificate from a CA made for
/// the server (<see cref="RedisServer.Certificates"/>), asking clients for a certificate when
/// <see cref="RequireClientCertificate"/>.
/// </summary>
public sealed record RedisServerSecurity(string? Password = null, string? User = null, bool Tls = false, bool RequireClientCertificate = false);
