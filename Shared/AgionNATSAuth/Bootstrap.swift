import AgionJSON
import Foundation

/// Makes a deployment's NATS operator, accounts and credentials (the files
/// `NATSAuthority` lists) and the nats-server configuration that trusts them.
public enum NATSBootstrap {
    /// The services that get credentials of their own.
    public static let services = ["registry", "governance", "coordination", "execution", "gateway"]

    /// Writes everything into `directory` (created, files mode 0600).
    /// `resolverDirectory` is where nats-server keeps account JWTs.
    public static func write(to directory: String, resolverDirectory: String, now: Int64 = Int64(Date().timeIntervalSince1970)) throws {
        let files = FileManager.default
        try files.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let operatorKey = NKey(.operator), operatorSigning = NKey(.operator)
        let systemAccount = NKey(.account), platformAccount = NKey(.account), tenantUsers = NKey(.account)

        let operatorJWT = try NATSJWT.encode(
            type: "operator", subject: operatorKey.publicKey, name: "agion",
            nats: AccountDesign.operatorClaims(signingKeys: [operatorSigning.publicKey], systemAccount: systemAccount.publicKey),
            issuer: operatorKey, issuedAt: now)
        let systemJWT = try NATSJWT.encode(type: "account", subject: systemAccount.publicKey, name: "SYS",
                                           nats: AccountDesign.systemAccountClaims(), issuer: operatorSigning, issuedAt: now)
        let authority = NATSAuthority(operatorSigning: operatorSigning, tenantUsers: tenantUsers, platformAccount: platformAccount.publicKey, epoch: now)
        let platformJWT = try authority.platformAccountJWT(tenants: [], issuedAt: now)

        func write(_ name: String, _ text: String) throws {
            let path = "\(directory)/\(name)"
            guard files.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw NKeyError("cannot write \(path)")
            }
        }
        func user(_ name: String, account: NKey, claims: [String: JSONValue]) throws -> String {
            let user = NKey(.user)
            let jwt = try NATSJWT.encode(type: "user", subject: user.publicKey, name: name, nats: claims, issuer: account, issuedAt: now)
            return NATSCredentials(jwt: jwt, seed: user.seed).fileContents
        }

        try write("operator.jwt", operatorJWT)
        try write("operator.seed", operatorKey.seed)
        try write("operator-signing.seed", operatorSigning.seed)
        try write("system-account.seed", systemAccount.seed)
        try write("platform-account.seed", platformAccount.seed)
        try write("platform-account.pub", platformAccount.publicKey)
        try write("tenant-users.seed", tenantUsers.seed)
        try write("authority.json", JSONValue.object(["epoch": .integer(now), "operator": .string(operatorKey.publicKey),
                                                      "system_account": .string(systemAccount.publicKey),
                                                      "platform_account": .string(platformAccount.publicKey)]).serializedString)
        try write("system.creds", try user("system", account: systemAccount, claims: AccountDesign.systemUserClaims()))
        try write("platform.creds", try user("platform", account: platformAccount, claims: AccountDesign.platformUserClaims(nil)))
        for service in services {
            try write("\(service).creds", try user(service, account: platformAccount,
                                                   claims: AccountDesign.platformUserClaims(ServicePermissions.byService[service])))
        }
        try write("resolver.conf", """
            # Written by agion-natsauth (docs/security.md): NATS trusts the Agion
            # operator; accounts come from the resolver, which the gateway keeps current.
            operator: "\(operatorJWT)"
            system_account: \(systemAccount.publicKey)
            resolver: {
              type: full
              dir: "\(resolverDirectory)"
              allow_delete: false
              interval: "2m"
              timeout: "1.9s"
            }
            resolver_preload: {
              \(systemAccount.publicKey): "\(systemJWT)"
              \(platformAccount.publicKey): "\(platformJWT)"
            }

            """)
    }
}
