import AgionJSON
import Crypto
import Foundation

/// Issues what NATS authentication needs (docs/security.md): account JWTs
/// for tenants and the platform, and credentials for agent containers.
///
/// Reads its keys from a directory (`AGION_NATS_AUTH_DIR`; a Kubernetes
/// Secret mounted as files) that `bootstrap` writes once per deployment:
///
/// | file | what | who needs it |
/// |---|---|---|
/// | `operator-signing.seed` | signs account JWTs | the gateway |
/// | `tenant-users.seed` | signs agent containers' users (a signing key of every tenant account) | the gateway |
/// | `platform-account.pub`, `authority.json` | the platform account's public key, when the authority began | the gateway |
/// | `system.creds` | publishes account JWTs to the servers | the gateway |
/// | `<service>.creds`, `platform.creds` | the services', and operators' tools' | each service; tools and tests |
/// | `resolver.conf` | the nats-server configuration include | nats-server |
/// | `operator.seed`, `*-account.seed` | the operator's and accounts' own keys | nobody at run time (keep offline) |
public struct NATSAuthority: Sendable {
    public let operatorSigning: NKey
    public let tenantUsers: NKey
    public let platformAccount: String
    /// When the authority was made (seconds since 1970): no account JWT is older.
    public let epoch: Int64

    public init(operatorSigning: NKey, tenantUsers: NKey, platformAccount: String, epoch: Int64) {
        self.operatorSigning = operatorSigning
        self.tenantUsers = tenantUsers
        self.platformAccount = platformAccount
        self.epoch = epoch
    }

    /// Reads the gateway's keys from `directory`.
    public init(directory: String) throws {
        func read(_ name: String) throws -> String {
            try String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let meta = try JSONValue.parse(Array(try read("authority.json").utf8))
        guard case .object(let fields) = meta, case .integer(let epoch)? = fields["epoch"] else {
            throw NKeyError("\(directory)/authority.json holds no epoch")
        }
        self.init(operatorSigning: try NKey(seed: try read("operator-signing.seed")), tenantUsers: try NKey(seed: try read("tenant-users.seed")),
                  platformAccount: try read("platform-account.pub"), epoch: epoch)
    }

    /// A tenant's account key, derived from the user-signing key and the
    /// tenant's name: the same on every gateway replica and after restarts,
    /// with nothing to store (its seed signs nothing: account JWTs are the
    /// operator's, users the user-signing key's).
    public func tenantAccount(_ tenant: String) -> NKey {
        let key = SymmetricKey(data: Array(tenantUsers.seed.utf8))
        let seed = HMAC<SHA256>.authenticationCode(for: Array("agion tenant account \(tenant)".utf8), using: key)
        return try! NKey(.account, rawSeed: Array(seed)) // 32 bytes: always a valid Ed25519 seed
    }

    public func tenantAccountJWT(_ tenant: String, revoked: [String: Int64], issuedAt: Int64) throws -> String {
        let account = tenantAccount(tenant).publicKey
        return try NATSJWT.encode(
            type: "account", subject: account, name: "tenant \(tenant)",
            nats: AccountDesign.tenantAccountClaims(tenant: tenant, platformAccount: platformAccount, userSigningKey: tenantUsers.publicKey,
                                                    revoked: revoked),
            issuer: operatorSigning, issuedAt: max(issuedAt, epoch))
    }

    public func platformAccountJWT(tenants: [String], issuedAt: Int64) throws -> String {
        try NATSJWT.encode(
            type: "account", subject: platformAccount, name: "agion platform",
            nats: AccountDesign.platformAccountClaims(tenants: tenants.map { ($0, tenantAccount($0).publicKey) }),
            issuer: operatorSigning, issuedAt: max(issuedAt, epoch))
    }

    /// New credentials for an agent container of `tenant` serving `agents`.
    public func containerCredentials(tenant: String, agents: [String], name: String, issuedAt: Int64,
                                     expires: Int64? = nil) throws -> NATSCredentials {
        let user = NKey(.user)
        let jwt = try NATSJWT.encode(
            type: "user", subject: user.publicKey, name: name,
            nats: AccountDesign.containerUserClaims(tenant: tenant, agents: agents, userPublicKey: user.publicKey,
                                                    tenantAccount: tenantAccount(tenant).publicKey),
            issuer: tenantUsers, issuedAt: issuedAt, expires: expires)
        return NATSCredentials(jwt: jwt, seed: user.seed)
    }
}
