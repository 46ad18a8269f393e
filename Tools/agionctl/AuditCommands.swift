import AgionContract
import AgionEnvelope
import AgionJSON
import ArgumentParser
import Foundation
import GovernanceCore

/// The audit's Merkle tree: signed heads, proofs, signing keys, and the
/// offline check of a proof an auditor saved (docs/governance.md).
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Signed tree heads and proofs of the audit; verify-proof checks them offline.",
        subcommands: [Head.self, AuditKeys.self, Proof.self, Consistency.self, VerifyProof.self, Archive.self, VerifyArchive.self])

    struct Head: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The latest signed tree head (or the one at --tree-size); keep it with -o json.")
        @OptionGroup var connection: ConnectionOptions
        @Option var treeSize: Int64?

        func run() async throws {
            try await perform {
                let reply = try await connection.client().call("GET", "/v1/audit/head", query: ["tree_size": treeSize.map(String.init)])
                Output.print(reply, format: try connection.format, columns: ["tenant", "tree_size", "root_hash", "timestamp_unix_millis", "key_id"])
            }
        }
    }

    struct AuditKeys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "keys",
                                                        abstract: "The public keys that sign tree heads; pin them (-o json) for verify-proof.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            try await perform {
                Output.print(try await connection.client().call("GET", "/v1/audit/keys"), format: try connection.format, list: "keys",
                             columns: ["key_id", "public_key", "first_used_unix_millis"])
            }
        }
    }

    struct Proof: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A decision's inclusion proof against a signed head; save it with -o json.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var decisionID: String
        @Option var treeSize: Int64?

        func run() async throws {
            try await perform {
                let reply = try await connection.client().call("GET", "/v1/decisions/\(decisionID)/proof",
                                                                query: ["tree_size": treeSize.map(String.init)])
                Output.print(reply, format: try connection.format, columns: ["decision_id", "leaf_index", "leaf_hash", "tree_size", "root_hash"])
            }
        }
    }

    struct Consistency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Proof that the tree of --to records extends the tree of --from records.")
        @OptionGroup var connection: ConnectionOptions
        @Option var from: Int64
        @Option var to: Int64?

        func run() async throws {
            try await perform {
                let reply = try await connection.client().call("GET", "/v1/audit/consistency",
                                                                query: ["from": String(from), "to": to.map(String.init)])
                Output.print(reply, format: try connection.format, columns: ["from", "to", "from_root", "to_root", "proof"])
            }
        }
    }

    struct VerifyProof: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-proof",
            abstract: "Offline: check a saved inclusion proof (and that its head extends one kept earlier) with pinned keys only.",
            discussion: """
                Trusts nothing but the keys: PROOF is the JSON of `agionctl audit proof ID -o json`, --keys the JSON of \
                `agionctl audit keys -o json` saved when you pinned them. With --kept-head (a head saved earlier) and \
                --consistency (the JSON of `agionctl audit consistency --from <kept size> --to <proof's size> -o json`), also \
                checks that the log only grew since. Exit 0: verified; 1: it does not hold (the reason is printed).
                """)
        @Argument(help: "the inclusion proof (JSON file)") var proof: String
        @Option(help: "the pinned keys (JSON file: the output of `audit keys -o json`)") var keys: String
        @Option(help: "a signed head kept earlier (JSON file)") var keptHead: String?
        @Option(help: "the consistency proof from the kept head to the proof's head (JSON file)") var consistency: String?

        func run() async throws {
            guard (keptHead == nil) == (consistency == nil) else { throw ValidationError("--kept-head and --consistency go together") }
            do {
                let trusted = try Self.keys(try Self.json(keys))
                let proof = try Self.json(self.proof)
                guard let head = proof["tree_head"] else { throw AuditProofCheck.Failure.missing("tree_head") }
                let signed = try Self.signedHead(head)
                guard let leafText = proof["leaf"]?.stringValue, let leaf = Data(base64Encoded: leafText).map(Array.init) else {
                    throw AuditProofCheck.Failure.missing("leaf")
                }
                let path = try (proof["audit_path"]?.arrayValue ?? []).map { try Self.hash($0.stringValue, "audit_path") }
                let index = try Self.integer(proof["leaf_index"]) ?? 0
                try AuditProofCheck.inclusion(leaf: leaf, index: UInt64(index), path: path, head: signed, keys: trusted)
                print("verified: decision \(proof["decision_id"]?.stringValue ?? "?") is leaf \(index) of the log of \(signed.head.tenant) "
                      + "signed at size \(signed.head.treeSize) by key \(signed.keyID)")
                if let keptHead, let consistency {
                    let kept = try Self.signedHead(try Self.json(keptHead))
                    let proof = try Self.json(consistency)
                    guard try Self.integer(proof["from"]) == Int64(kept.head.treeSize), try Self.integer(proof["to"]) == Int64(signed.head.treeSize) else {
                        throw AuditProofCheck.Failure(description: "the consistency proof is not from the kept head's size to the proof's head's size")
                    }
                    let hashes = try (proof["proof"]?.arrayValue ?? []).map { try Self.hash($0.stringValue, "proof") }
                    try AuditProofCheck.consistency(older: kept, newer: signed, proof: hashes, keys: trusted)
                    print("verified: the head of size \(signed.head.treeSize) extends the kept head of size \(kept.head.treeSize)")
                }
            } catch let failure as AuditProofCheck.Failure {
                FileHandle.standardError.write(Data("agionctl: NOT VERIFIED: \(failure.description)\n".utf8))
                throw ExitCode(1)
            }
        }

        static func json(_ path: String) throws -> JSONValue {
            do {
                return try JSONValue.parse(Array(try readFile(path).utf8))
            } catch let error as JSONParseError {
                throw ValidationError("\(path) is not JSON: \(error)")
            }
        }

        static func keys(_ json: JSONValue) throws -> [String: [UInt8]] {
            var keys: [String: [UInt8]] = [:]
            for key in json["keys"]?.arrayValue ?? [] {
                guard let id = key["key_id"]?.stringValue, let hex = key["public_key"]?.stringValue, let bytes = [UInt8](hex: hex) else {
                    throw ValidationError("the keys file has a key without key_id or hex public_key")
                }
                keys[id] = bytes
            }
            guard !keys.isEmpty else { throw ValidationError("the keys file has no keys (expected the output of `agionctl audit keys -o json`)") }
            return keys
        }

        static func signedHead(_ json: JSONValue) throws -> SignedTreeHead {
            guard let tenant = json["tenant"]?.stringValue else { throw AuditProofCheck.Failure.missing("tenant") }
            let served = AuditTreeHead(tenant: tenant, treeSize: try integer(json["tree_size"]) ?? 0, rootHash: json["root_hash"]?.stringValue ?? "",
                                       timestampUnixMillis: try integer(json["timestamp_unix_millis"]) ?? 0, keyID: json["key_id"]?.stringValue ?? "",
                                       signature: json["signature"]?.stringValue ?? "")
            guard let signed = SignedTreeHead(served) else { throw AuditProofCheck.Failure(description: "the tree head's hashes are not hex") }
            return signed
        }

        static func hash(_ text: String?, _ field: String) throws -> MerkleTree.Hash {
            guard let text, let bytes = [UInt8](hex: text), bytes.count == 32 else { throw AuditProofCheck.Failure(description: "\(field) has a hash that is not 32 bytes of hex") }
            return bytes
        }

        /// int64 fields are JSON strings in the API (proto3 JSON); numbers are taken too.
        static func integer(_ value: JSONValue?) throws -> Int64? {
            switch value {
            case nil: nil
            case .string(let text)?: Int64(text)
            case .integer(let number)?: number
            default: throw AuditProofCheck.Failure(description: "a size or index is not an integer")
            }
        }
    }
}

extension Audit {
    /// Retention: archive the records decided before a time into a file,
    /// verify the file, and (with --drop) delete them from Agion.
    struct Archive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export the records decided before --before to a file (JSON lines), verify it, and with --drop delete them from Agion.",
            discussion: """
                The file's first line describes the archive (its range, the chain hash and tree frontier where it starts, and the head \
                signed at its end); each next line is one record as chained. `audit verify-archive` checks such a file offline. \
                --drop deletes the records only after the file verified with the pinned --keys.
                """)
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "an ISO 8601 time or Unix seconds: records decided before it are archived") var before: String
        @Option(help: "the file to write") var out: String
        @Option(help: "the pinned keys (the output of `audit keys -o json`), to verify the file") var keys: String?
        @Flag(help: "delete the archived records from Agion once the file verified") var drop = false

        func run() async throws {
            guard let cut = Self.unixNanos(before) else { throw ValidationError("--before is neither an ISO 8601 time nor Unix seconds") }
            if drop, keys == nil { throw ValidationError("--drop needs --keys: records are deleted only after the file verified with the keys you pinned") }
            try await perform {
                let client = try connection.client()
                let archive = try await client.call("POST", "/v1/audit/archives", json: .object(["before_unix_nanos": .string(String(cut))]))
                guard let toSize = archive["to_size"]?.stringValue else { throw CommandFailure(.failure, "the archive has no to_size: \(archive.serializedString)") }
                FileManager.default.createFile(atPath: out, contents: nil)
                guard let file = FileHandle(forWritingAtPath: out) else { throw CommandFailure(.failure, "cannot write \(out)") }
                defer { try? file.close() }
                file.write(Data((JSONValue.object(["format": "agion-audit-archive-v1", "archive": archive]).serializedString + "\n").utf8))
                var after = "0", count = 0
                repeat {
                    let page = try await client.call("GET", "/v1/audit/archives/\(toSize)/records", query: ["after_sequence": after, "page_size": "5000"])
                    for record in page["records"]?.arrayValue ?? [] {
                        file.write(Data((record.serializedString + "\n").utf8))
                        count += 1
                    }
                    after = page["next_after_sequence"]?.stringValue ?? "0"
                } while after != "0" && !after.isEmpty
                try file.synchronize()
                print("archived \(count) records (\(archive["from_size"]?.stringValue ?? "0")..\(toSize)) to \(out)")
                if let keys {
                    try VerifyArchive.verify(file: out, keys: try VerifyProof.keys(try VerifyProof.json(keys)))
                    print("verified: the file holds the log's records \(archive["from_size"]?.stringValue ?? "0")..\(toSize) as signed")
                }
                if drop {
                    _ = try await client.call("POST", "/v1/audit/archives/\(toSize)/drop")
                    print("dropped: records up to \(toSize) were deleted from Agion")
                }
            }
        }

        static func unixNanos(_ text: String) -> Int64? {
            if let seconds = Int64(text) { return seconds * 1_000_000_000 }
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            guard let date = formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text) else { return nil }
            return Int64(date.timeIntervalSince1970 * 1e9)
        }
    }

    struct VerifyArchive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-archive",
            abstract: "Offline: check an archive file (from `audit archive`) with pinned keys only; exit 1 when it does not hold.")
        @Argument(help: "the archive file") var file: String
        @Option(help: "the pinned keys (JSON file: the output of `audit keys -o json`)") var keys: String

        func run() async throws {
            do {
                let count = try Self.verify(file: file, keys: try VerifyProof.keys(try VerifyProof.json(keys)))
                print("verified: \(count) records, the log's as signed")
            } catch let failure as AuditProofCheck.Failure {
                FileHandle.standardError.write(Data("agionctl: NOT VERIFIED: \(failure.description)\n".utf8))
                throw ExitCode(1)
            }
        }

        /// Reads the file line by line into `AuditArchiveCheck`; how many records it held.
        @discardableResult
        static func verify(file: String, keys: [String: [UInt8]]) throws -> Int {
            let lines = try readFile(file).split(separator: "\n", omittingEmptySubsequences: true)
            guard let first = lines.first, let header = try? JSONValue.parse(Array(first.utf8)), header["format"]?.stringValue == "agion-audit-archive-v1",
                  let archive = header["archive"], let headJSON = archive["head"] else {
                throw AuditProofCheck.Failure(description: "not an Agion audit archive (the first line must say format agion-audit-archive-v1)")
            }
            let frontier = try (archive["frontier_before"]?.arrayValue ?? []).map { try VerifyProof.hash($0.stringValue, "frontier_before") }
            var check = try AuditArchiveCheck(fromSize: UInt64(try VerifyProof.integer(archive["from_size"]) ?? 0),
                                              toSize: UInt64(try VerifyProof.integer(archive["to_size"]) ?? 0),
                                              chainHashBefore: try VerifyProof.hash(archive["chain_hash_before"]?.stringValue, "chain_hash_before"),
                                              frontierBefore: frontier, head: try VerifyProof.signedHead(headJSON), keys: keys)
            for line in lines.dropFirst() {
                guard let record = try? JSONValue.parse(Array(line.utf8)), let sequence = try VerifyProof.integer(record["sequence"]),
                      let bytes = record["record"]?.stringValue.flatMap({ Data(base64Encoded: $0) }) else {
                    throw AuditProofCheck.Failure(description: "a line of the archive is not a record")
                }
                try check.add(sequence: sequence, record: Array(bytes), hash: try VerifyProof.hash(record["hash"]?.stringValue, "hash"))
            }
            try check.finish()
            return lines.count - 1
        }
    }
}

extension AuditProofCheck.Failure {
    static func missing(_ field: String) -> Self { Self(description: "\(field) is missing") }
}
