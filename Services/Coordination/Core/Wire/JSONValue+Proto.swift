import AgionEnvelope
import AgionJSON

/// Mission inputs and outputs travel as `agion.v1.Value` (any JSON, the way
/// a check's context does). Numbers are doubles on that wire, as in
/// protobuf's own Struct: an integer reads back as `.integer` when it is
/// whole and within 2^53, so ids and counts survive.
extension JSONValue {
    public init(valueProto proto: ProtoMessage) {
        if let v = proto.fields["bool_value"]?.bool {
            self = .bool(v)
        } else if let v = proto.fields["number_value"]?.double {
            self = v.rounded() == v && abs(v) <= 9_007_199_254_740_992 ? .integer(Int64(v)) : .number(v)
        } else if let v = proto.fields["string_value"]?.string {
            self = .string(v)
        } else if let list = proto.message("list_value") {
            self = .array(list.list("values").map { $0.message.map(JSONValue.init(valueProto:)) ?? .null })
        } else if let object = proto.message("struct_value") {
            self = .object(JSONValue.fields(of: object))
        } else {
            self = .null
        }
    }

    /// The entries of an `agion.v1.StructValue`.
    static func fields(of structProto: ProtoMessage) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [:]
        for entry in structProto.list("fields").compactMap(\.message) {
            fields[entry.string("key")] = entry.message("value").map(JSONValue.init(valueProto:)) ?? .null
        }
        return fields
    }

    public var valueProto: ProtoMessage {
        switch self {
        case .null: ProtoMessage("agion.v1.Value", ["null_value": .bool(true)])
        case .bool(let v): ProtoMessage("agion.v1.Value", ["bool_value": .bool(v)])
        case .integer(let v): ProtoMessage("agion.v1.Value", ["number_value": .double(Double(v))])
        case .number(let v): ProtoMessage("agion.v1.Value", ["number_value": .double(v)])
        case .string(let v): ProtoMessage("agion.v1.Value", ["string_value": .string(v)])
        case .array(let items):
            ProtoMessage("agion.v1.Value", ["list_value": .message(ProtoMessage("agion.v1.ListValue", ["values": .list(items.map { .message($0.valueProto) })]))])
        case .object(let fields):
            ProtoMessage("agion.v1.Value", ["struct_value": .message(ProtoMessage("agion.v1.StructValue", ["fields": .list(
                fields.sorted { $0.key < $1.key }.map { key, value in
                    .message(ProtoMessage("agion.v1.Field", ["key": .string(key), "value": .message(value.valueProto)]))
                })]))])
        }
    }
}

extension ProtoMessage {
    /// A message field holding an `agion.v1.Value`, as JSON (null when absent).
    public func json(_ field: String) -> JSONValue { message(field).map(JSONValue.init(valueProto:)) ?? .null }
}
