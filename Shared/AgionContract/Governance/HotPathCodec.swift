import AgionEnvelope

/// Hand-written protobuf codecs for the messages of every check: the
/// `Decision` reply, the `AuditRecord` written to the spool, and (in
/// CheckRequest+Wire.swift) the request. The generic descriptor-driven codec
/// costs several microseconds per message and was a quarter of governance's
/// CPU under load. Field numbers follow Proto/agion/v1/governance.proto; the
/// tests compare every one with the generic codec.
extension Decision {
    /// `encoded()`, written by hand (the reply of every check).
    public func fastEncoded() -> [UInt8] {
        var w = ProtoWriter(capacity: 128)
        w.string(1, decisionID)
        w.uint64(2, UInt64(effect.protoValue))
        for id in ruleIDs { w.oneofString(3, id) }
        for reason in reasons { w.oneofString(4, reason) }
        for obligation in obligations { w.obligation(5, obligation) }
        w.double(6, trustScore)
        w.uint64(7, UInt64(policyRevision))
        w.bool(8, failClosed)
        return w.bytes
    }
}

extension AuditRecord {
    /// `encoded()`, written by hand (the spool record of every check).
    public func fastEncoded() -> [UInt8] {
        var w = ProtoWriter(capacity: 512)
        w.int64(1, sequence)
        w.string(2, decisionID)
        w.string(3, kind.rawValue)
        w.string(4, tenant)
        w.string(5, agentID)
        w.string(6, action)
        w.string(7, principal)
        for principal in delegationChain { w.oneofString(8, principal) }
        if case .object(let fields) = context { w.message(9) { $0.structValue(fields) } } else { w.message(9) { _ in } }
        w.string(10, result)
        for id in ruleIDs { w.oneofString(11, id) }
        for reason in reasons { w.oneofString(12, reason) }
        for obligation in obligations { w.obligation(13, obligation) }
        w.double(14, trustScore)
        w.uint64(15, UInt64(policyRevision))
        w.int64(16, decidedAtUnixNanos)
        w.int64(17, evaluationNanos)
        for violation in violations {
            w.message(18) { $0.string(1, violation.ruleID); $0.string(2, violation.kind); $0.string(3, violation.message); $0.string(4, violation.field) }
        }
        w.string(19, executionID)
        w.string(20, hash)
        return w.bytes
    }
}

extension AuditRecord {
    /// What the audit trail stores next to a record's bytes for queries and
    /// events: read from the bytes without decoding the rest (the shipper
    /// handles every decision, and the context is most of a record).
    public struct Columns: Sendable, Hashable {
        public var decisionID = ""
        public var kind = Kind.check
        public var tenant = ""
        public var agentID = ""
        public var action = ""
        public var result = ""
        public var decidedAtUnixNanos: Int64 = 0
    }

    public var columns: Columns {
        Columns(decisionID: decisionID, kind: kind, tenant: tenant, agentID: agentID, action: action, result: result,
                decidedAtUnixNanos: decidedAtUnixNanos)
    }

    /// The columns of an encoded record. Throws for bytes that are not a
    /// protobuf message or name no known kind; nested messages are skipped,
    /// not checked.
    public static func columns(of bytes: [UInt8]) throws(EnvelopeError) -> Columns {
        var reader = ProtoReader(bytes, messageName: protoName)
        var columns = Columns()
        var kind = ""
        while let (number, wireType) = try reader.nextField() {
            switch number {
            case 2, 3, 4, 5, 6, 10:
                try reader.expect(wireType, is: .lengthDelimited, field: number)
                let value = try reader.string()
                switch number {
                case 2: columns.decisionID = value
                case 3: kind = value
                case 4: columns.tenant = value
                case 5: columns.agentID = value
                case 6: columns.action = value
                default: columns.result = value
                }
            case 16:
                try reader.expect(wireType, is: .varint, field: number)
                columns.decidedAtUnixNanos = try reader.int64()
            default:
                try reader.skip(wireType)
            }
        }
        guard let known = Kind(rawValue: kind) else { throw EnvelopeError(.invalidField, "kind is check or validate", field: "kind") }
        columns.kind = known
        return columns
    }
}
