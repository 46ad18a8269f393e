/// A protobuf message as a Swift value: its fields by name. Read and written
/// through the message's protobuf-c descriptor (`ProtoSchema`), so contract
/// types map fields by name and never touch C.
///
/// Decoding yields every singular scalar and string field (proto3 defaults
/// included), present message fields, the set member of a oneof, and repeated
/// fields as `.list`. Encoding needs only the fields that are not defaults.
public struct ProtoMessage: Hashable, Sendable {
    /// The full protobuf name, for example `agion.v1.Agent`.
    public let name: String
    public var fields: [String: ProtoValue]

    public init(_ name: String, _ fields: [String: ProtoValue] = [:]) {
        self.name = name
        self.fields = fields
    }

    public subscript(_ field: String) -> ProtoValue? {
        get { fields[field] }
        set { fields[field] = newValue }
    }

    /// A string field, or "" when absent.
    public func string(_ field: String) -> String { fields[field]?.string ?? "" }
    /// An integer field (any signed or unsigned width, or an enum), or 0.
    public func int(_ field: String) -> Int64 { fields[field]?.int ?? 0 }
    public func double(_ field: String) -> Double { fields[field]?.double ?? 0 }
    public func bool(_ field: String) -> Bool { fields[field]?.bool ?? false }
    public func bytes(_ field: String) -> [UInt8] { fields[field]?.bytes ?? [] }
    public func message(_ field: String) -> ProtoMessage? { fields[field]?.message }
    /// A repeated field's items, or [] when absent.
    public func list(_ field: String) -> [ProtoValue] { fields[field]?.list ?? [] }
}

/// One field value.
public indirect enum ProtoValue: Hashable, Sendable {
    /// int32, sint32, sfixed32, int64, sint64, sfixed64.
    case int(Int64)
    /// uint32, fixed32, uint64, fixed64.
    case uint(UInt64)
    /// float and double.
    case double(Double)
    case bool(Bool)
    case enumValue(Int32)
    case string(String)
    case bytes([UInt8])
    case message(ProtoMessage)
    /// A repeated field.
    case list([ProtoValue])

    public var string: String? { if case .string(let v) = self { v } else { nil } }
    public var double: Double? { if case .double(let v) = self { v } else { nil } }
    public var bool: Bool? { if case .bool(let v) = self { v } else { nil } }
    public var bytes: [UInt8]? { if case .bytes(let v) = self { v } else { nil } }
    public var message: ProtoMessage? { if case .message(let v) = self { v } else { nil } }
    public var list: [ProtoValue]? { if case .list(let v) = self { v } else { nil } }
    public var int: Int64? {
        switch self {
        case .int(let v): v
        case .uint(let v): Int64(exactly: v)
        case .enumValue(let v): Int64(v)
        default: nil
        }
    }
}
