import AgionEnvelope
import AgionJSON
import Foundation

/// A JSON body that does not fit the contract message: the field's path
/// (`agents[0].capabilities[2]`) and what is wrong with it.
public struct JSONFieldError: Error, Hashable, Sendable {
    public let field: String
    public let message: String
}

/// Maps JSON to and from contract messages by their protobuf-c descriptors
/// (`ProtoSchema.fields(of:)`), so every route reads and writes exactly what
/// Proto/ declares (docs/gateway.md, "JSON mapping"):
///
/// - field names are the .proto names; unknown fields are refused, `null`
///   means absent;
/// - 64-bit integers are written as strings (JSON numbers lose precision past
///   2^53) and read from strings or numbers; other numbers are numbers;
/// - enums are their value names without the enum's prefix, lower case
///   (`EFFECT_REQUIRE_APPROVAL` is `require_approval`);
/// - bytes are base64;
/// - `agion.v1.StructValue` / `Value` / `ListValue` are any JSON object /
///   value / array, and a repeated `agion.v1.Header` is an object of strings;
/// - a step's `approval` (`agion.v1.ApprovalRequirement`) is `"required"`,
///   `"none"`, or an object that requires approval unless it says
///   `required: false` (as docs/missions.md writes it).
public enum ProtoJSON {
    static let structName = "agion.v1.StructValue"
    static let valueName = "agion.v1.Value"
    static let listName = "agion.v1.ListValue"
    static let headerName = "agion.v1.Header"
    static let approvalName = "agion.v1.ApprovalRequirement"

    /// A step's approval as the object the message holds: the word forms, and
    /// an object's presence meaning "required" (proto3 cannot tell an unset
    /// bool from false, so the gateway sets it).
    private static func approvalRequirement(_ json: JSONValue, path: String) throws(JSONFieldError) -> JSONValue {
        switch json {
        case .string("required"): return ["required": true]
        case .string("none"): return ["required": false]
        case .object(var fields):
            if fields["required"] == nil || fields["required"] == .null { fields["required"] = true }
            return .object(fields)
        default: throw JSONFieldError(field: path, message: "expected required, none or an object (groups, timeout_seconds, escalate_to)")
        }
    }

    // MARK: JSON to message

    /// `refusing` names fields a client may not set anywhere in the message
    /// (`tenant`: it comes from the credential).
    public static func message(_ name: String, from json: JSONValue, path: String = "",
                               refusing: Set<String> = []) throws(JSONFieldError) -> ProtoMessage {
        if name == structName { return try structValue(json, path: path) }
        if name == valueName { return try value(json, path: path) }
        let json = name == approvalName ? try approvalRequirement(json, path: path) : json
        guard case .object(let object) = json else { throw JSONFieldError(field: path, message: "expected an object, got \(json.typeName)") }
        let fields = schema(name)
        var message = ProtoMessage(name)
        var oneofs: [Int: String] = [:]
        for (key, item) in object.sorted(by: { $0.key < $1.key }) {
            let fieldPath = path.isEmpty ? key : path + "." + key
            guard let field = fields.first(where: { $0.name == key }) else {
                throw JSONFieldError(field: fieldPath, message: "unknown field (\(name) has: \(fields.map(\.name).joined(separator: ", ")))")
            }
            if item == .null { continue }
            if refusing.contains(key) { throw JSONFieldError(field: fieldPath, message: "set by the gateway from your credential, not by the body") }
            if let group = field.oneof {
                if let other = oneofs[group] { throw JSONFieldError(field: fieldPath, message: "set only one of \(other) and \(key)") }
                oneofs[group] = key
            }
            message.fields[key] = try fieldValue(item, field: field, path: fieldPath, refusing: refusing)
        }
        return message
    }

    private static func fieldValue(_ json: JSONValue, field: ProtoFieldSchema, path: String, refusing: Set<String>) throws(JSONFieldError) -> ProtoValue {
        guard field.repeated else { return try element(json, kind: field.kind, path: path, refusing: refusing) }
        if case .message(headerName) = field.kind {
            guard case .object(let map) = json else { throw JSONFieldError(field: path, message: "expected an object of strings, got \(json.typeName)") }
            var headers: [ProtoValue] = []
            for (key, value) in map.sorted(by: { $0.key < $1.key }) {
                guard case .string(let text) = value else { throw JSONFieldError(field: path + "." + key, message: "expected a string, got \(value.typeName)") }
                headers.append(.message(ProtoMessage(headerName, ["key": .string(key), "value": .string(text)])))
            }
            return .list(headers)
        }
        guard case .array(let items) = json else { throw JSONFieldError(field: path, message: "expected an array, got \(json.typeName)") }
        var values: [ProtoValue] = []
        for (i, item) in items.enumerated() { values.append(try element(item, kind: field.kind, path: "\(path)[\(i)]", refusing: refusing)) }
        return .list(values)
    }

    private static func element(_ json: JSONValue, kind: ProtoFieldSchema.Kind, path: String, refusing: Set<String>) throws(JSONFieldError) -> ProtoValue {
        func mismatch(_ expected: String) -> JSONFieldError { JSONFieldError(field: path, message: "expected \(expected), got \(json.typeName)") }
        switch kind {
        case .int32: return .int(try integer(json, in: Int64(Int32.min)...Int64(Int32.max), path: path))
        case .uint32: return .uint(UInt64(try integer(json, in: 0...Int64(UInt32.max), path: path)))
        case .int64: return .int(try integer(json, in: Int64.min...Int64.max, path: path))
        case .uint64:
            if case .string(let text) = json, let v = UInt64(text) { return .uint(v) }
            return .uint(UInt64(try integer(json, in: 0...Int64.max, path: path)))
        case .float, .double:
            switch json {
            case .integer(let v): return .double(Double(v))
            case .number(let v): return .double(v)
            default: throw mismatch("a number")
            }
        case .bool:
            guard case .bool(let v) = json else { throw mismatch("true or false") }
            return .bool(v)
        case .string:
            guard case .string(let v) = json else { throw mismatch("a string") }
            return .string(v)
        case .bytes:
            guard case .string(let v) = json, let data = Data(base64Encoded: v) else { throw mismatch("base64 text") }
            return .bytes([UInt8](data))
        case .enumeration(let schema):
            guard case .string(let v) = json, let value = schema.values.first(where: { enumName($0.name, in: schema) == v }) else {
                throw JSONFieldError(field: path, message: "expected one of \(enumNames(schema).joined(separator: ", "))")
            }
            return .enumValue(value.number)
        case .message(let name):
            if name == listName {
                guard case .array(let items) = json else { throw mismatch("an array") }
                var values: [ProtoValue] = []
                for (i, item) in items.enumerated() { values.append(.message(try value(item, path: "\(path)[\(i)]"))) }
                return .message(ProtoMessage(listName, ["values": .list(values)]))
            }
            return .message(try message(name, from: json, path: path, refusing: refusing))
        }
    }

    private static func integer(_ json: JSONValue, in range: ClosedRange<Int64>, path: String) throws(JSONFieldError) -> Int64 {
        let value: Int64? = switch json {
        case .integer(let v): v
        case .number(let v) where v.rounded() == v && abs(v) < 9.2e18: Int64(v)
        case .string(let text): Int64(text)
        default: nil
        }
        guard let value else { throw JSONFieldError(field: path, message: "expected an integer, got \(json.typeName)") }
        guard range.contains(value) else { throw JSONFieldError(field: path, message: "must be between \(range.lowerBound) and \(range.upperBound)") }
        return value
    }

    private static func structValue(_ json: JSONValue, path: String) throws(JSONFieldError) -> ProtoMessage {
        guard case .object(let object) = json else { throw JSONFieldError(field: path, message: "expected an object, got \(json.typeName)") }
        var entries: [ProtoValue] = []
        for (key, item) in object.sorted(by: { $0.key < $1.key }) {
            let itemPath = path.isEmpty ? key : path + "." + key
            entries.append(.message(ProtoMessage("agion.v1.Field", ["key": .string(key), "value": .message(try value(item, path: itemPath))])))
        }
        return ProtoMessage(structName, ["fields": .list(entries)])
    }

    private static func value(_ json: JSONValue, path: String) throws(JSONFieldError) -> ProtoMessage {
        switch json {
        case .null: return ProtoMessage(valueName, ["null_value": .bool(true)])
        case .bool(let v): return ProtoMessage(valueName, ["bool_value": .bool(v)])
        case .integer(let v): return ProtoMessage(valueName, ["number_value": .double(Double(v))])
        case .number(let v): return ProtoMessage(valueName, ["number_value": .double(v)])
        case .string(let v): return ProtoMessage(valueName, ["string_value": .string(v)])
        case .array(let items):
            var values: [ProtoValue] = []
            for (i, item) in items.enumerated() { values.append(.message(try value(item, path: "\(path)[\(i)]"))) }
            return ProtoMessage(valueName, ["list_value": .message(ProtoMessage(listName, ["values": .list(values)]))])
        case .object: return ProtoMessage(valueName, ["struct_value": .message(try structValue(json, path: path))])
        }
    }

    // MARK: Message to JSON

    public static func json(_ message: ProtoMessage) -> JSONValue {
        if message.name == structName { return jsonStruct(message) }
        if message.name == valueName { return jsonValue(message) }
        var object: [String: JSONValue] = [:]
        for field in schema(message.name) {
            guard let value = message.fields[field.name] else { continue }
            if field.repeated, case .message(headerName) = field.kind {
                var map: [String: JSONValue] = [:]
                for header in value.list ?? [] { if let h = header.message { map[h.string("key")] = .string(h.string("value")) } }
                object[field.name] = .object(map)
            } else if field.repeated {
                object[field.name] = .array((value.list ?? []).map { json($0, kind: field.kind) })
            } else {
                object[field.name] = json(value, kind: field.kind)
            }
        }
        return .object(object)
    }

    private static func json(_ value: ProtoValue, kind: ProtoFieldSchema.Kind) -> JSONValue {
        switch (kind, value) {
        case (.int64, .int(let v)): return .string(String(v))
        case (.uint64, .uint(let v)): return .string(String(v))
        case (_, .int(let v)): return .integer(v)
        case (_, .uint(let v)): return .integer(Int64(clamping: v))
        case (_, .double(let v)): return v.isFinite ? .number(v) : .null
        case (_, .bool(let v)): return .bool(v)
        case (_, .string(let v)): return .string(v)
        case (_, .bytes(let v)): return .string(Data(v).base64EncodedString())
        case (.enumeration(let schema), .enumValue(let v)):
            return .string(schema.values.first { $0.number == v }.map { enumName($0.name, in: schema) } ?? String(v))
        case (.message(listName), .message(let m)): return .array(m.list("values").compactMap(\.message).map(jsonValue))
        case (_, .message(let m)): return json(m)
        case (_, .list(let items)): return .array(items.map { json($0, kind: kind) })
        case (_, .enumValue(let v)): return .integer(Int64(v))
        }
    }

    private static func jsonStruct(_ message: ProtoMessage) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for entry in message.list("fields").compactMap(\.message) {
            object[entry.string("key")] = entry.message("value").map(jsonValue) ?? .null
        }
        return .object(object)
    }

    private static func jsonValue(_ message: ProtoMessage) -> JSONValue {
        if let v = message.fields["bool_value"]?.bool { return .bool(v) }
        if let v = message.fields["number_value"]?.double { return .number(v) }
        if let v = message.fields["string_value"]?.string { return .string(v) }
        if let list = message.message("list_value") { return .array(list.list("values").compactMap(\.message).map(jsonValue)) }
        if let nested = message.message("struct_value") { return jsonStruct(nested) }
        return .null
    }

    // MARK: Schema

    /// `EFFECT_REQUIRE_APPROVAL` in `Effect` is `require_approval`: the prefix
    /// every value of the enum shares is dropped.
    static func enumName(_ valueName: String, in schema: ProtoEnumSchema) -> String {
        let prefix = commonPrefix(schema)
        return String(valueName.dropFirst(prefix.count)).lowercased()
    }

    static func enumNames(_ schema: ProtoEnumSchema) -> [String] {
        schema.values.map { enumName($0.name, in: schema) }.filter { $0 != "unspecified" }
    }

    private static func commonPrefix(_ schema: ProtoEnumSchema) -> String {
        guard var prefix = schema.values.first?.name else { return "" }
        for value in schema.values.dropFirst() {
            while !value.name.hasPrefix(prefix) { prefix.removeLast() }
        }
        // Cut back to a whole word: `AGENT_STATUS_` of `AGENT_STATUS_HEALTHY`.
        if let underscore = prefix.lastIndex(of: "_") { return String(prefix[...underscore]) }
        return ""
    }

    /// Every contract message's fields, read from the descriptors once.
    private static let schemas: [String: [ProtoFieldSchema]] = Dictionary(uniqueKeysWithValues: ProtoSchema.messageNames.map { name in
        (name, (try? ProtoSchema.fields(of: name)) ?? [])
    })

    static func schema(_ name: String) -> [ProtoFieldSchema] { schemas[name] ?? [] }
}
