import AgionBus
import AgionJSON
import AgionNATSAuth
import Foundation
import Logging
import ServiceLifecycle

/// Keeps the NATS servers' accounts in step with the gateway's tenants
/// (docs/security.md): each tenant's account JWT (with its revoked agent
/// credentials) and the platform account's (which imports every tenant's
/// invoke subjects), published through the system account to the servers'
/// resolver, which stores them and hands them to every server of the cluster.
///
/// Published when a tenant is created or a credential revoked, and all of
/// them again every minute, so a NATS server that lost its resolver directory
/// (or a publish that failed) is put right. The JWTs are made from what the
/// database holds, with `iat` the time of the last change, so publishing an
/// unchanged account again changes nothing on the servers.
final class TenantAccounts: Service, Sendable {
    let authority: NATSAuthority
    private let system: Bus
    private let keys: KeyStore
    let credentials: NATSCredentialStore
    private let logger: Logger
    private let interval: Duration

    static let claimsUpdateSubject = "$SYS.REQ.CLAIMS.UPDATE"

    init(authority: NATSAuthority, system: Bus, keys: KeyStore, credentials: NATSCredentialStore, logger: Logger,
         interval: Duration = .seconds(60)) {
        self.authority = authority
        self.system = system
        self.keys = keys
        self.credentials = credentials
        self.logger = logger
        self.interval = interval
    }

    /// Connects as the system account's user (`system.creds` of the authority's directory).
    static func connect(directory: String, url: String, logger: Logger) async throws -> Bus {
        try await Bus.connect(BusConfiguration(url: url, name: "agion-gateway-accounts", credentialsFile: "\(directory)/system.creds"),
                              logger: logger)
    }

    func run() async throws {
        // cancelWhenGracefulShutdown ends the wait at shutdown (a publish in
        // hand is cut short: the next start publishes everything again).
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await self.publishAll()
                } catch {
                    self.logger.warning("gateway.nats_accounts_publish_failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: self.interval)
            }
        }
        try? await system.drain(timeout: .seconds(2))
    }

    /// One tenant's account, then the platform account (which imports from it:
    /// the tenant's account must exist first).
    func publish(tenant: String) async throws {
        let tenants = try await keys.tenants()
        try await push(try await tenantJWT(tenant, createdAt: tenants.first { $0.tenant == tenant }?.createdAt))
        try await push(try platformJWT(tenants))
    }

    func publishAll() async throws {
        let tenants = try await keys.tenants()
        for tenant in tenants {
            try await push(try await tenantJWT(tenant.tenant, createdAt: tenant.createdAt))
        }
        try await push(try platformJWT(tenants))
    }

    /// Issued at the tenant's creation or its latest revocation, whichever is
    /// later: the same JWT from every publish until something changes.
    private func tenantJWT(_ tenant: String, createdAt: Date?) async throws -> String {
        let revoked = try await credentials.revocations(tenant: tenant)
        let created = Int64(createdAt?.timeIntervalSince1970 ?? 0)
        return try authority.tenantAccountJWT(tenant, revoked: revoked, issuedAt: max(created, revoked.values.max() ?? 0))
    }

    private func platformJWT(_ tenants: [KeyStore.TenantRecord]) throws -> String {
        let latest = tenants.map { Int64($0.createdAt.timeIntervalSince1970) }.max() ?? 0
        return try authority.platformAccountJWT(tenants: tenants.map(\.tenant), issuedAt: latest)
    }

    /// Publishes an account JWT; the server answers with a code (200 when stored).
    private func push(_ jwt: String) async throws {
        let reply = try await system.requestRaw(Self.claimsUpdateSubject, bytes: Array(jwt.utf8), timeout: .seconds(5))
        guard case .object(let fields) = try JSONValue.parse(reply) else { throw AccountPublishError(description: "an answer that is not JSON") }
        if case .object(let error)? = fields["error"] {
            throw AccountPublishError(description: error["description"]?.stringValue ?? "\(error)")
        }
    }
}

struct AccountPublishError: Error, CustomStringConvertible {
    let description: String
}
