/// Hand-written protobuf encoders for the messages of every check: the
/// `Decision` reply and the `AuditRecord` written to the spool. The generic
/// descriptor-driven codec costs several microseconds per message and was a
/// quarter of governance's CPU under load; these write the wire format
/// directly. Field numbers follow Proto/agion/v1/governance.proto; the tests
/// decode their output with the generic codec and compare.
struct ProtoWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    /// proto3: default values are not written.
    mutating func string(_ field: Int, _ value: String) {
        guard !value.isEmpty else { return }
        tag(field, 2)
        varint(UInt64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    mutating func int64(_ field: Int, _ value: Int64) {
        guard value != 0 else { return }
        tag(field, 0)
        varint(UInt64(bitPattern: value))
    }

    mutating func uint64(_ field: Int, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, 0)
        varint(value)
    }

    mutating func double(_ field: Int, _ value: Double, always: Bool = false) {
        guard always || value != 0 else { return }
        tag(field, 1)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func bool(_ field: Int, _ value: Bool, always: Bool = false) {
        guard always || value else { return }
        tag(field, 0)
        bytes.append(value ? 1 : 0)
    }

    /// A member of a oneof: written even when it holds its type's default.
    mutating func oneofString(_ field: Int, _ value: String) {
        tag(field, 2)
        varint(UInt64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    /// A nested message, always written (its presence is meaningful).
    mutating func message(_ field: Int, _ body: (inout ProtoWriter) -> Void) {
        var nested = ProtoWriter(capacity: 64)
        body(&nested)
        tag(field, 2)
        varint(UInt64(nested.bytes.count))
        bytes.append(contentsOf: nested.bytes)
    }

    mutating func headers(_ field: Int, _ map: [String: String]) {
        for (key, value) in map.sorted(by: { $0.key < $1.key }) {
            message(field) { $0.string(1, key); $0.string(2, value) }
        }
    }

    mutating func obligation(_ field: Int, _ obligation: Obligation) {
        message(field) { $0.string(1, obligation.kind); $0.headers(2, obligation.parameters) }
    }

    /// `agion.v1.StructValue`, keys sorted so equal contexts give equal bytes.
    mutating func structValue(_ fields: [String: ContextValue]) {
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            message(1) { field in
                field.string(1, key)
                field.message(2) { $0.value(value) }
            }
        }
    }

    /// The body of an `agion.v1.Value`.
    mutating func value(_ value: ContextValue) {
        switch value {
        case .null: bool(1, true)
        case .bool(let v): bool(2, v, always: true)
        case .number(let v): double(3, v, always: true)
        case .string(let v): oneofString(4, v)
        case .list(let items): message(5) { list in for item in items { list.message(1) { $0.value(item) } } }
        case .object(let fields): message(6) { $0.structValue(fields) }
        }
    }
}

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
