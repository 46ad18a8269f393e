import AgionEnvelope

/// A JSON-like value (`agion.v1.Value`): the context of a check, which policy
/// conditions compare against.
public indirect enum ContextValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case list([ContextValue])
    case object([String: ContextValue])

    /// Bounds that keep one request from costing the service more than it should.
    public enum Limits {
        public static let depth = 16
        public static let nodes = 4_096
    }

    /// The value at a dotted path (`customer.tier`), if every step exists.
    public func value(at path: [String]) -> ContextValue? {
        var current = self
        for key in path {
            guard case .object(let fields) = current, let next = fields[key] else { return nil }
            current = next
        }
        return current
    }

    public var number: Double? { if case .number(let v) = self { v } else { nil } }
    public var string: String? { if case .string(let v) = self { v } else { nil } }

    /// Reads an `agion.v1.StructValue`, enforcing `Limits`.
    public init(structProto: ProtoMessage, field: String) throws(EnvelopeError) {
        var budget = Limits.nodes
        self = try Self.object(structProto, field: field, depth: 0, budget: &budget)
    }

    private static func object(_ proto: ProtoMessage, field: String, depth: Int, budget: inout Int) throws(EnvelopeError) -> ContextValue {
        var fields: [String: ContextValue] = [:]
        for entry in proto.list("fields").compactMap(\.message) {
            let key = entry.string("key")
            guard let value = entry.message("value") else { fields[key] = .null; continue }
            fields[key] = try Self.value(value, field: field + "." + key, depth: depth + 1, budget: &budget)
        }
        return .object(fields)
    }

    private static func value(_ proto: ProtoMessage, field: String, depth: Int, budget: inout Int) throws(EnvelopeError) -> ContextValue {
        budget -= 1
        guard budget >= 0 else { throw EnvelopeError(.invalidField, "the context has more than \(Limits.nodes) values", field: field) }
        guard depth <= Limits.depth else { throw EnvelopeError(.invalidField, "the context nests deeper than \(Limits.depth)", field: field) }
        if let v = proto.fields["bool_value"]?.bool { return .bool(v) }
        if let v = proto.fields["number_value"]?.double {
            guard v.isFinite else { throw EnvelopeError(.invalidField, "numbers must be finite", field: field) }
            return .number(v)
        }
        if let v = proto.fields["string_value"]?.string { return .string(v) }
        if let list = proto.message("list_value") {
            var values: [ContextValue] = []
            for (i, item) in list.list("values").compactMap(\.message).enumerated() {
                values.append(try Self.value(item, field: "\(field)[\(i)]", depth: depth + 1, budget: &budget))
            }
            return .list(values)
        }
        if let nested = proto.message("struct_value") { return try Self.object(nested, field: field, depth: depth, budget: &budget) }
        return .null
    }

    /// As an `agion.v1.StructValue` (for an object) or `agion.v1.Value`.
    public var structProto: ProtoMessage {
        guard case .object(let fields) = self else { return ProtoMessage("agion.v1.StructValue", [:]) }
        return ProtoMessage("agion.v1.StructValue", ["fields": .list(fields.sorted { $0.key < $1.key }.map { key, value in
            .message(ProtoMessage("agion.v1.Field", ["key": .string(key), "value": .message(value.valueProto)]))
        })])
    }

    public var valueProto: ProtoMessage {
        switch self {
        case .null: ProtoMessage("agion.v1.Value", ["null_value": .bool(true)])
        case .bool(let v): ProtoMessage("agion.v1.Value", ["bool_value": .bool(v)])
        case .number(let v): ProtoMessage("agion.v1.Value", ["number_value": .double(v)])
        case .string(let v): ProtoMessage("agion.v1.Value", ["string_value": .string(v)])
        case .list(let values):
            ProtoMessage("agion.v1.Value", ["list_value": .message(ProtoMessage("agion.v1.ListValue", ["values": .list(values.map { .message($0.valueProto) })]))])
        case .object: ProtoMessage("agion.v1.Value", ["struct_value": .message(structProto)])
        }
    }
}

extension ContextValue: ExpressibleByStringLiteral, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: ContextValue...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, ContextValue)...) { self = .object(Dictionary(elements, uniquingKeysWith: { $1 })) }
    public init(nilLiteral: ()) { self = .null }
}
