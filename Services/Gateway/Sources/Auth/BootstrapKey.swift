import AgionStore
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The first credential: on a fresh database the gateway creates tenant
/// `default` and a platform admin key in it, and writes the key to a file
/// (mode 0600) so whoever runs the stack can call the API at once; or, when
/// the operator chose the key (`AGION_GATEWAY_BOOTSTRAP_KEY`, a Kubernetes
/// Secret), installs that one and writes nothing. Replicas
/// starting together create one key (an advisory lock); once a platform
/// admin exists, nothing is created and the file is left alone.
enum BootstrapKey {
    static let tenant = "default"

    /// Returns the key if this call created one.
    @discardableResult
    static func ensure(keys: KeyStore, file: String?, given: APIKey? = nil, logger: Logger) async throws -> APIKey? {
        let created = try await keys.pool.withTransaction { connection -> APIKey? in
            try await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))", ["agion.gateway.bootstrap." + keys.schema])
            guard try await !keys.hasPlatformAdmin(on: connection) else { return nil }
            _ = try await keys.createTenant(tenant, displayName: "Default tenant", on: connection)
            let (key, _) = try await keys.createKey(tenant: tenant, name: "bootstrap admin", role: .admin, agentScope: nil, platform: true,
                                                    createdBy: "bootstrap", key: given ?? .generate(), on: connection)
            return key
        }
        guard let created else { return nil }
        if given != nil {
            logger.notice("gateway.bootstrap_key_installed", metadata: ["key_id": "\(created.keyID)", "tenant": "\(tenant)"])
        } else if let file {
            try write(created.description + "\n", to: file)
            logger.notice("gateway.bootstrap_key_created", metadata: ["file": "\(file)", "tenant": "\(tenant)"])
        } else {
            logger.warning("gateway.bootstrap_key_created_without_file",
                           metadata: ["hint": "set AGION_GATEWAY_BOOTSTRAP_KEY_FILE; the key cannot be shown again, create another with it revoked"])
        }
        return created
    }

    /// Writes `text` readable by the owner only (the directory too).
    static func write(_ text: String, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let temporary = path + ".tmp"
        let fd = open(temporary, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BootstrapError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        fchmod(fd, 0o600)
        close(fd)
        guard written == bytes.count, rename(temporary, path) == 0 else { throw BootstrapError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }
}

struct BootstrapError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
