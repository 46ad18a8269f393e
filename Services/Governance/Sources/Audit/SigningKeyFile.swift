import Foundation
import GovernanceCore

/// Reads the tree-head signing key, or makes one where none is yet.
enum SigningKeyFile {
    static func load(path: String) throws -> TreeHeadSigner {
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            do {
                return try TreeHeadSigner(pem: text)
            } catch {
                throw KeyFileError(message: "AGION_GOVERNANCE_AUDIT_SIGNING_KEY_FILE \(path): \(error)")
            }
        }
        let signer = TreeHeadSigner.generate()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // O_EXCL: two replicas sharing the directory that start together
        // keep the same key (the loser reads the winner's).
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { return try load(path: path) }
            throw KeyFileError(message: "cannot create the audit signing key \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let bytes = Array(signer.pem.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count, fsync(fd) == 0 else {
            throw KeyFileError(message: "cannot write the audit signing key \(path): \(String(cString: strerror(errno)))")
        }
        return signer
    }
}
