import CAgionProto
import CProtobufC

/// What a contract message looks like, read from its protobuf-c descriptor:
/// the gateway maps JSON to messages by it and writes the OpenAPI schemas
/// from it, so the HTTP contract cannot drift from Proto/.
public struct ProtoFieldSchema: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case int32, int64, uint32, uint64, float, double, bool, string, bytes
        case enumeration(ProtoEnumSchema)
        /// A nested message, by full name.
        case message(String)
    }

    public let name: String
    public let number: Int
    public let kind: Kind
    public let repeated: Bool
    /// Members of one oneof share this (their case's offset in the C struct).
    public let oneof: Int?
}

public struct ProtoEnumSchema: Hashable, Sendable {
    public struct Value: Hashable, Sendable {
        public let name: String
        public let number: Int32
    }

    /// Full name, for example `agion.v1.Decision.Effect`.
    public let name: String
    public let values: [Value]
}

extension ProtoSchema {
    /// The fields of a registered message, in declaration order.
    public static func fields(of name: String) throws(EnvelopeError) -> [ProtoFieldSchema] {
        let d = try descriptor(name).raw.pointee
        // protobuf-c lists fields by number; `fields_sorted_by_name` is not
        // declaration order either, so number order it is (ours match).
        return (0..<Int(d.n_fields)).map { index in
            let field = d.fields[index]
            let oneof = field.flags & UInt32(PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue) != 0 ? Int(field.quantifier_offset) : nil
            return ProtoFieldSchema(name: String(cString: field.name), number: Int(field.id), kind: kind(of: field),
                                    repeated: field.label == PROTOBUF_C_LABEL_REPEATED, oneof: oneof)
        }
    }

    private static func kind(of field: ProtobufCFieldDescriptor) -> ProtoFieldSchema.Kind {
        switch field.type {
        case PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_SINT32, PROTOBUF_C_TYPE_SFIXED32: .int32
        case PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64, PROTOBUF_C_TYPE_SFIXED64: .int64
        case PROTOBUF_C_TYPE_UINT32, PROTOBUF_C_TYPE_FIXED32: .uint32
        case PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_FIXED64: .uint64
        case PROTOBUF_C_TYPE_FLOAT: .float
        case PROTOBUF_C_TYPE_DOUBLE: .double
        case PROTOBUF_C_TYPE_BOOL: .bool
        case PROTOBUF_C_TYPE_STRING: .string
        case PROTOBUF_C_TYPE_BYTES: .bytes
        case PROTOBUF_C_TYPE_ENUM:
            .enumeration(enumSchema(field.descriptor.assumingMemoryBound(to: ProtobufCEnumDescriptor.self).pointee))
        default:
            .message(String(cString: field.descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self).pointee.name))
        }
    }

    private static func enumSchema(_ d: ProtobufCEnumDescriptor) -> ProtoEnumSchema {
        ProtoEnumSchema(name: String(cString: d.name), values: (0..<Int(d.n_values)).map {
            ProtoEnumSchema.Value(name: String(cString: d.values[$0].name), number: d.values[$0].value)
        })
    }
}
