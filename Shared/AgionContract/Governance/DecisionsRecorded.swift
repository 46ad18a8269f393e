import AgionEnvelope

/// The payload of `agion.governance.decisions_recorded`: checks audited
/// together by one replica, for one tenant, in chain order (see
/// Proto/agion/v1/governance.proto). Readers deduplicate by decision id: a
/// batch re-shipped after a crash may announce a decision again.
public struct DecisionsRecorded: ProtoConvertible, Hashable {
    public static let protoName = "agion.v1.DecisionsRecorded"
    public var records: [AuditRecord]

    public init(records: [AuditRecord]) {
        self.records = records
    }

    public init(proto: ProtoMessage) throws(EnvelopeError) {
        var records: [AuditRecord] = []
        for entry in proto.list("records").compactMap(\.message) { records.append(try AuditRecord(proto: entry)) }
        self.records = records
    }

    public var proto: ProtoMessage {
        ProtoMessage(Self.protoName, ["records": .list(records.map { .message($0.proto) })])
    }

    /// The encoding of a `DecisionsRecorded` holding these already encoded
    /// `AuditRecord`s: the shipper has the records' bytes from its spool, and a
    /// repeated message field is each element's bytes behind a tag and length.
    public static func encoded(recordBytes: [[UInt8]]) -> [UInt8] {
        var writer = ProtoWriter(capacity: recordBytes.reduce(0) { $0 + $1.count + 6 })
        for record in recordBytes { writer.lengthDelimited(1, record) }
        return writer.bytes
    }
}
