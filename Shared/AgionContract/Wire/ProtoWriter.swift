/// Writes the protobuf wire format directly, for the messages of every check
/// (see HotPathCodec.swift): the generic descriptor-driven codec costs several
/// microseconds per message. The counterpart of `ProtoReader`.
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

    /// A length-delimited field (string, bytes, or an encoded message), always written.
    mutating func lengthDelimited(_ field: Int, _ value: some Collection<UInt8>) {
        tag(field, 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// proto3: default values are not written.
    mutating func string(_ field: Int, _ value: String) {
        guard !value.isEmpty else { return }
        lengthDelimited(field, value.utf8)
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
        lengthDelimited(field, value.utf8)
    }

    /// A nested message, always written (its presence is meaningful).
    mutating func message(_ field: Int, _ body: (inout ProtoWriter) -> Void) {
        var nested = ProtoWriter(capacity: 64)
        body(&nested)
        lengthDelimited(field, nested.bytes)
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
