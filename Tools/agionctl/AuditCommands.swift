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
        subcommands: [Head.self, AuditKeys.self, Proof.self, Consistency.self, VerifyProof.self])

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

extension AuditProofCheck.Failure {
    static func missing(_ field: String) -> Self { Self(description: "\(field) is missing") }
}
