import AgionEnvelope

// The audit Merkle tree's messages (docs/governance.md, "The audit as a
// Merkle tree"): signed tree heads, inclusion and consistency proofs, and the
// keys that sign heads. Hashes and signatures travel as lowercase hex.

/// A signed tree head, as served and published (`audit_head` events).
public struct AuditTreeHead: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditTreeHead"
    public var tenant: String
    public var treeSize: Int64
    public var rootHash: String
    public var timestampUnixMillis: Int64
    public var keyID: String
    public var signature: String

    public init(tenant: String, treeSize: Int64, rootHash: String, timestampUnixMillis: Int64, keyID: String, signature: String) {
        self.tenant = tenant
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.timestampUnixMillis = timestampUnixMillis
        self.keyID = keyID
        self.signature = signature
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        tenant = proto.string("tenant")
        treeSize = proto.int("tree_size")
        rootHash = proto.string("root_hash")
        timestampUnixMillis = proto.int("timestamp_unix_millis")
        keyID = proto.string("key_id")
        signature = proto.string("signature")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["tenant": .string(tenant), "tree_size": .int(treeSize), "root_hash": .string(rootHash),
                                      "timestamp_unix_millis": .int(timestampUnixMillis), "key_id": .string(keyID), "signature": .string(signature)])
    }
}

/// `agion.rpc.governance.audit.head`: the signed head at `treeSize`, or the latest (0).
public struct AuditTreeHeadRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditTreeHeadRequest"
    public var treeSize: Int64

    public init(treeSize: Int64 = 0) { self.treeSize = treeSize }
    public init(proto: ProtoMessage) throws(EnvelopeError) { treeSize = proto.int("tree_size") }
    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["tree_size": .int(treeSize)]) }
}

/// `agion.rpc.governance.audit.proof`.
public struct AuditProofRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditProofRequest"
    public var decisionID: String
    /// The size of the signed head to prove against; 0: the latest.
    public var treeSize: Int64

    public init(decisionID: String, treeSize: Int64 = 0) {
        self.decisionID = decisionID
        self.treeSize = treeSize
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        decisionID = proto.string("decision_id")
        treeSize = proto.int("tree_size")
    }

    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["decision_id": .string(decisionID), "tree_size": .int(treeSize)]) }
}

/// An inclusion proof (RFC 9162 §2.1.3) with the signed head it proves against.
public struct AuditInclusionProof: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditInclusionProof"
    public var decisionID: String
    public var leafIndex: Int64
    public var leafHash: String
    /// The record exactly as hashed into the tree.
    public var leaf: [UInt8]
    public var auditPath: [String]
    public var treeSize: Int64
    public var rootHash: String
    public var treeHead: AuditTreeHead

    public init(decisionID: String, leafIndex: Int64, leafHash: String, leaf: [UInt8], auditPath: [String], treeSize: Int64, rootHash: String,
                treeHead: AuditTreeHead) {
        self.decisionID = decisionID
        self.leafIndex = leafIndex
        self.leafHash = leafHash
        self.leaf = leaf
        self.auditPath = auditPath
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.treeHead = treeHead
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        decisionID = proto.string("decision_id")
        leafIndex = proto.int("leaf_index")
        leafHash = proto.string("leaf_hash")
        leaf = proto.bytes("leaf")
        auditPath = proto.list("audit_path").compactMap(\.string)
        treeSize = proto.int("tree_size")
        rootHash = proto.string("root_hash")
        treeHead = try AuditTreeHead(proto: proto.message("tree_head") ?? ProtoMessage(AuditTreeHead.protoName))
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["decision_id": .string(decisionID), "leaf_index": .int(leafIndex), "leaf_hash": .string(leafHash),
                                      "leaf": .bytes(leaf), "audit_path": .list(auditPath.map { .string($0) }), "tree_size": .int(treeSize),
                                      "root_hash": .string(rootHash), "tree_head": .message(treeHead.proto)])
    }
}

/// `agion.rpc.governance.audit.consistency`.
public struct AuditConsistencyRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditConsistencyRequest"
    public var from: Int64
    /// 0: the latest signed head's size.
    public var to: Int64

    public init(from: Int64, to: Int64 = 0) {
        self.from = from
        self.to = to
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        from = proto.int("from")
        to = proto.int("to")
    }

    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["from": .int(from), "to": .int(to)]) }
}

/// A consistency proof (RFC 9162 §2.1.4) with both roots and the signed heads at those sizes, when there are any.
public struct AuditConsistencyProof: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditConsistencyProof"
    public var from: Int64
    public var to: Int64
    public var fromRoot: String
    public var toRoot: String
    public var proof: [String]
    public var fromHead: AuditTreeHead?
    public var toHead: AuditTreeHead?

    public init(from: Int64, to: Int64, fromRoot: String, toRoot: String, proof: [String], fromHead: AuditTreeHead?, toHead: AuditTreeHead?) {
        self.from = from
        self.to = to
        self.fromRoot = fromRoot
        self.toRoot = toRoot
        self.proof = proof
        self.fromHead = fromHead
        self.toHead = toHead
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        from = proto.int("from")
        to = proto.int("to")
        fromRoot = proto.string("from_root")
        toRoot = proto.string("to_root")
        proof = proto.list("proof").compactMap(\.string)
        fromHead = try proto.message("from_head").map { message throws(EnvelopeError) in try AuditTreeHead(proto: message) }
        toHead = try proto.message("to_head").map { message throws(EnvelopeError) in try AuditTreeHead(proto: message) }
    }

    public var proto: ProtoMessage {
        var fields: [String: ProtoValue] = ["from": .int(from), "to": .int(to), "from_root": .string(fromRoot), "to_root": .string(toRoot),
                                            "proof": .list(proof.map { .string($0) })]
        if let fromHead { fields["from_head"] = .message(fromHead.proto) }
        if let toHead { fields["to_head"] = .message(toHead.proto) }
        return ProtoMessage(Self.protoName, fields)
    }
}

/// `agion.rpc.governance.audit.keys`.
public struct AuditKeysRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditKeysRequest"
    public init() {}
    public init(proto: ProtoMessage) throws(EnvelopeError) {}
    public var proto: ProtoMessage { ProtoMessage(Self.protoName, [:]) }
}

public struct AuditSigningKey: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditSigningKey"
    public var keyID: String
    /// The raw 32-byte Ed25519 public key, hex.
    public var publicKey: String
    public var firstUsedUnixMillis: Int64

    public init(keyID: String, publicKey: String, firstUsedUnixMillis: Int64) {
        self.keyID = keyID
        self.publicKey = publicKey
        self.firstUsedUnixMillis = firstUsedUnixMillis
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        keyID = proto.string("key_id")
        publicKey = proto.string("public_key")
        firstUsedUnixMillis = proto.int("first_used_unix_millis")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["key_id": .string(keyID), "public_key": .string(publicKey), "first_used_unix_millis": .int(firstUsedUnixMillis)])
    }
}

public struct AuditKeysResponse: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditKeysResponse"
    public var keys: [AuditSigningKey]

    public init(keys: [AuditSigningKey]) { self.keys = keys }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        var keys: [AuditSigningKey] = []
        for entry in proto.list("keys").compactMap(\.message) { keys.append(try AuditSigningKey(proto: entry)) }
        self.keys = keys
    }

    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["keys": .list(keys.map { .message($0.proto) })]) }
}

// Retention (docs/governance.md, "Retention"): archives of old records.

/// `agion.rpc.governance.audit.archive.create`.
public struct CreateAuditArchiveRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.CreateAuditArchiveRequest"
    public var beforeUnixNanos: Int64

    public init(beforeUnixNanos: Int64) { self.beforeUnixNanos = beforeUnixNanos }
    public init(proto: ProtoMessage) throws(EnvelopeError) { beforeUnixNanos = proto.int("before_unix_nanos") }
    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["before_unix_nanos": .int(beforeUnixNanos)]) }
}

/// Records (fromSize, toSize] set aside to be exported, verified and dropped.
public struct AuditArchive: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditArchive"
    public var tenant: String
    public var fromSize: Int64
    public var toSize: Int64
    public var chainHashBefore: String
    public var frontierBefore: [String]
    public var head: AuditTreeHead
    public var createdAtUnixMillis: Int64
    public var droppedAtUnixMillis: Int64

    public init(tenant: String, fromSize: Int64, toSize: Int64, chainHashBefore: String, frontierBefore: [String], head: AuditTreeHead,
                createdAtUnixMillis: Int64, droppedAtUnixMillis: Int64) {
        self.tenant = tenant
        self.fromSize = fromSize
        self.toSize = toSize
        self.chainHashBefore = chainHashBefore
        self.frontierBefore = frontierBefore
        self.head = head
        self.createdAtUnixMillis = createdAtUnixMillis
        self.droppedAtUnixMillis = droppedAtUnixMillis
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        tenant = proto.string("tenant")
        fromSize = proto.int("from_size")
        toSize = proto.int("to_size")
        chainHashBefore = proto.string("chain_hash_before")
        frontierBefore = proto.list("frontier_before").compactMap(\.string)
        head = try AuditTreeHead(proto: proto.message("head") ?? ProtoMessage(AuditTreeHead.protoName))
        createdAtUnixMillis = proto.int("created_at_unix_millis")
        droppedAtUnixMillis = proto.int("dropped_at_unix_millis")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["tenant": .string(tenant), "from_size": .int(fromSize), "to_size": .int(toSize),
                                      "chain_hash_before": .string(chainHashBefore), "frontier_before": .list(frontierBefore.map { .string($0) }),
                                      "head": .message(head.proto), "created_at_unix_millis": .int(createdAtUnixMillis),
                                      "dropped_at_unix_millis": .int(droppedAtUnixMillis)])
    }
}

/// `agion.rpc.governance.audit.archive.list`.
public struct ListAuditArchivesRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.ListAuditArchivesRequest"
    public init() {}
    public init(proto: ProtoMessage) throws(EnvelopeError) {}
    public var proto: ProtoMessage { ProtoMessage(Self.protoName, [:]) }
}

public struct ListAuditArchivesResponse: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.ListAuditArchivesResponse"
    public var archives: [AuditArchive]

    public init(archives: [AuditArchive]) { self.archives = archives }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        var archives: [AuditArchive] = []
        for entry in proto.list("archives").compactMap(\.message) { archives.append(try AuditArchive(proto: entry)) }
        self.archives = archives
    }

    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["archives": .list(archives.map { .message($0.proto) })]) }
}

/// `agion.rpc.governance.audit.archive.records`: a page of an archive's records.
public struct AuditArchiveRecordsRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditArchiveRecordsRequest"
    public var toSize: Int64
    public var afterSequence: Int64
    public var pageSize: UInt32

    public init(toSize: Int64, afterSequence: Int64 = 0, pageSize: UInt32 = 1_000) {
        self.toSize = toSize
        self.afterSequence = afterSequence
        self.pageSize = pageSize
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        toSize = proto.int("to_size")
        afterSequence = proto.int("after_sequence")
        pageSize = UInt32(clamping: proto.int("page_size"))
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["to_size": .int(toSize), "after_sequence": .int(afterSequence), "page_size": .uint(UInt64(pageSize))])
    }
}

/// A record as chained: its bytes (the leaf) and its chain hash (hex).
public struct AuditArchiveRecord: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditArchiveRecord"
    public var sequence: Int64
    public var record: [UInt8]
    public var hash: String

    public init(sequence: Int64, record: [UInt8], hash: String) {
        self.sequence = sequence
        self.record = record
        self.hash = hash
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        sequence = proto.int("sequence")
        record = proto.bytes("record")
        hash = proto.string("hash")
    }

    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["sequence": .int(sequence), "record": .bytes(record), "hash": .string(hash)]) }
}

public struct AuditArchiveRecordsResponse: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.AuditArchiveRecordsResponse"
    public var records: [AuditArchiveRecord]
    /// Where the next page starts; 0 when this was the last.
    public var nextAfterSequence: Int64

    public init(records: [AuditArchiveRecord], nextAfterSequence: Int64) {
        self.records = records
        self.nextAfterSequence = nextAfterSequence
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        var records: [AuditArchiveRecord] = []
        for entry in proto.list("records").compactMap(\.message) { records.append(try AuditArchiveRecord(proto: entry)) }
        self.records = records
        nextAfterSequence = proto.int("next_after_sequence")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["records": .list(records.map { .message($0.proto) }), "next_after_sequence": .int(nextAfterSequence)])
    }
}

/// `agion.rpc.governance.audit.archive.drop`.
public struct DropAuditArchiveRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.DropAuditArchiveRequest"
    public var toSize: Int64

    public init(toSize: Int64) { self.toSize = toSize }
    public init(proto: ProtoMessage) throws(EnvelopeError) { toSize = proto.int("to_size") }
    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["to_size": .int(toSize)]) }
}
