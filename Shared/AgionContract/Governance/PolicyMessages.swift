import AgionEnvelope

/// A stored revision of a tenant's policy (`agion.v1.PolicyRevision`).
public struct PolicyRevision: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.PolicyRevision"
    public var revision: UInt32
    public var active: Bool
    public var comment: String
    public var createdAtUnixNanos: Int64
    public var ruleCount: UInt32
    public var outputRuleCount: UInt32
    /// Hex SHA-256 of the document.
    public var digest: String

    public init(revision: UInt32, active: Bool, comment: String, createdAtUnixNanos: Int64, ruleCount: UInt32,
                outputRuleCount: UInt32, digest: String) {
        self.revision = revision
        self.active = active
        self.comment = comment
        self.createdAtUnixNanos = createdAtUnixNanos
        self.ruleCount = ruleCount
        self.outputRuleCount = outputRuleCount
        self.digest = digest
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        revision = UInt32(clamping: proto.int("revision"))
        active = proto.bool("active")
        comment = proto.string("comment")
        createdAtUnixNanos = proto.int("created_at_unix_nanos")
        ruleCount = UInt32(clamping: proto.int("rule_count"))
        outputRuleCount = UInt32(clamping: proto.int("output_rule_count"))
        digest = proto.string("digest")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, [
            "revision": .uint(UInt64(revision)), "active": .bool(active), "comment": .string(comment),
            "created_at_unix_nanos": .int(createdAtUnixNanos), "rule_count": .uint(UInt64(ruleCount)),
            "output_rule_count": .uint(UInt64(outputRuleCount)), "digest": .string(digest),
        ])
    }
}

/// `agion.rpc.governance.policy.put`: a new revision, active unless `draft`.
public struct PutPolicyRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.PutPolicyRequest"
    public var document: String
    public var comment: String
    public var draft: Bool

    public init(document: String, comment: String = "", draft: Bool = false) {
        self.document = document
        self.comment = comment
        self.draft = draft
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        document = proto.string("document")
        guard !document.isEmpty else { throw EnvelopeError(.invalidField, "the policy document is empty", field: "document") }
        comment = String(proto.string("comment").prefix(1_024))
        draft = proto.bool("draft")
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["document": .string(document), "comment": .string(comment), "draft": .bool(draft)])
    }
}

/// `agion.rpc.governance.policy.get`: one revision; 0 is the active one.
public struct GetPolicyRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.GetPolicyRequest"
    public var revision: UInt32
    public init(revision: UInt32 = 0) { self.revision = revision }
    public init(proto: ProtoMessage) throws(EnvelopeError) { revision = UInt32(clamping: proto.int("revision")) }
    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["revision": .uint(UInt64(revision))]) }
}

/// A revision with its document, as it was submitted.
public struct PolicyDocument: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.PolicyDocument"
    public var revision: PolicyRevision
    public var document: String

    public init(revision: PolicyRevision, document: String) {
        self.revision = revision
        self.document = document
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        revision = try PolicyRevision(proto: proto.message("revision") ?? ProtoMessage(PolicyRevision.protoName, [:]))
        document = proto.string("document")
    }

    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["revision": .message(revision.proto), "document": .string(document)]) }
}

/// `agion.rpc.governance.policy.list`: revisions, newest first.
public struct ListPolicyRevisionsRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.ListPolicyRevisionsRequest"
    public var limit: UInt32
    public init(limit: UInt32 = 50) { self.limit = limit }
    public init(proto: ProtoMessage) throws(EnvelopeError) {
        let limit = proto.int("limit")
        self.limit = limit == 0 ? 50 : UInt32(clamping: min(limit, 500))
    }
    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["limit": .uint(UInt64(limit))]) }
}

public struct ListPolicyRevisionsResponse: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.ListPolicyRevisionsResponse"
    public var revisions: [PolicyRevision]
    public init(revisions: [PolicyRevision]) { self.revisions = revisions }
    public init(proto: ProtoMessage) throws(EnvelopeError) {
        var revisions: [PolicyRevision] = []
        for entry in proto.list("revisions").compactMap(\.message) { revisions.append(try PolicyRevision(proto: entry)) }
        self.revisions = revisions
    }
    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["revisions": .list(revisions.map { .message($0.proto) })]) }
}

/// `agion.rpc.governance.policy.activate`: make a stored revision active.
public struct ActivatePolicyRequest: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.ActivatePolicyRequest"
    public var revision: UInt32
    public init(revision: UInt32) { self.revision = revision }
    public init(proto: ProtoMessage) throws(EnvelopeError) {
        guard proto.int("revision") > 0 else { throw EnvelopeError(.invalidField, "name the revision to activate", field: "revision") }
        revision = UInt32(clamping: proto.int("revision"))
    }
    public var proto: ProtoMessage { ProtoMessage(Self.protoName, ["revision": .uint(UInt64(revision))]) }
}
