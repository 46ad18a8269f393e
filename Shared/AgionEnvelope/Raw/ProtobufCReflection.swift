// CAgionProto too: its headers include protobuf-c.h, and without it the
// enum constants (PROTOBUF_C_LABEL_*, PROTOBUF_C_TYPE_*) are not visible here.
import CAgionProto
import CProtobufC

#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes any protobuf-c message through its descriptor: field names,
/// types, labels and struct offsets. All of Agion's descriptor-driven C memory
/// access is in this file.
enum ProtobufCReflection {
    // MARK: Decoding

    static func decode(_ bytes: UnsafeRawBufferPointer, descriptor: MessageDescriptor) throws(EnvelopeError) -> ProtoMessage {
        // Everything below recurses once per nesting level: bound it first.
        try WireDepthGuard.check(bytes, descriptor: descriptor)
        let emptyByte: UInt8 = 0
        let unpacked = withUnsafePointer(to: emptyByte) { empty in
            protobuf_c_message_unpack(descriptor.raw, nil, bytes.count,
                                      bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? empty)
        }
        guard let unpacked else { throw EnvelopeError(.malformed, "not a valid \(descriptor.name) message") }
        defer { protobuf_c_message_free_unpacked(unpacked, nil) }
        return try read(UnsafeRawPointer(unpacked), descriptor: descriptor)
    }

    private static func read(_ base: UnsafeRawPointer, descriptor: MessageDescriptor) throws(EnvelopeError) -> ProtoMessage {
        var message = ProtoMessage(descriptor.name)
        let d = descriptor.raw.pointee
        for index in 0..<Int(d.n_fields) {
            let field = d.fields[index]
            let name = String(cString: field.name)
            if isOneof(field) {
                guard base.load(fromByteOffset: Int(field.quantifier_offset), as: UInt32.self) == field.id else { continue }
            }
            switch field.label {
            case PROTOBUF_C_LABEL_REPEATED:
                let count = base.load(fromByteOffset: Int(field.quantifier_offset), as: Int.self)
                guard count > 0, let array = base.load(fromByteOffset: Int(field.offset), as: UnsafeRawPointer?.self) else {
                    message.fields[name] = .list([])
                    continue
                }
                var items: [ProtoValue] = []
                items.reserveCapacity(count)
                for i in 0..<count {
                    if let item = try readElement(array + i * elementSize(field), field: field) { items.append(item) }
                }
                message.fields[name] = .list(items)
            case PROTOBUF_C_LABEL_OPTIONAL where hasPresenceFlag(field):
                guard base.load(fromByteOffset: Int(field.quantifier_offset), as: Int32.self) != 0 else { continue }
                message.fields[name] = try readElement(base + Int(field.offset), field: field)
            default:
                message.fields[name] = try readElement(base + Int(field.offset), field: field)
            }
        }
        return message
    }

    private static func readElement(_ at: UnsafeRawPointer, field: ProtobufCFieldDescriptor) throws(EnvelopeError) -> ProtoValue? {
        switch field.type {
        case PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_SINT32, PROTOBUF_C_TYPE_SFIXED32:
            return .int(Int64(at.load(as: Int32.self)))
        case PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64, PROTOBUF_C_TYPE_SFIXED64:
            return .int(at.load(as: Int64.self))
        case PROTOBUF_C_TYPE_UINT32, PROTOBUF_C_TYPE_FIXED32:
            return .uint(UInt64(at.load(as: UInt32.self)))
        case PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_FIXED64:
            return .uint(at.load(as: UInt64.self))
        case PROTOBUF_C_TYPE_FLOAT:
            return .double(Double(at.load(as: Float.self)))
        case PROTOBUF_C_TYPE_DOUBLE:
            return .double(at.load(as: Double.self))
        case PROTOBUF_C_TYPE_BOOL:
            return .bool(at.load(as: Int32.self) != 0)  // protobuf_c_boolean is an int
        case PROTOBUF_C_TYPE_ENUM:
            return .enumValue(at.load(as: Int32.self))
        case PROTOBUF_C_TYPE_STRING:
            let pointer = at.load(as: UnsafePointer<CChar>?.self)
            return .string(try ProtobufCCodec.string(pointer, field: "string field"))
        case PROTOBUF_C_TYPE_BYTES:
            return .bytes(ProtobufCCodec.bytes(at.load(as: ProtobufCBinaryData.self)))
        case PROTOBUF_C_TYPE_MESSAGE:
            guard let nested = at.load(as: UnsafeRawPointer?.self), let nestedDescriptor = field.descriptor else { return nil }
            let descriptor = MessageDescriptor(raw: nestedDescriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self))
            return .message(try read(nested, descriptor: descriptor))
        default:
            throw EnvelopeError(.malformed, "unsupported protobuf-c field type \(field.type.rawValue)")
        }
    }

    // MARK: Encoding

    static func encode(_ message: ProtoMessage, descriptor: MessageDescriptor) throws(EnvelopeError) -> [UInt8] {
        var memory = Allocations()
        defer { memory.freeAll() }
        let built = try build(message, descriptor: descriptor, memory: &memory)
        return ProtobufCCodec.pack(built.assumingMemoryBound(to: ProtobufCMessage.self))
    }

    /// Our own copy of the C struct tree: every allocation is tracked and freed
    /// after packing (protobuf-c's free_unpacked is only for its own unpacking).
    private struct Allocations {
        private var pointers: [UnsafeMutableRawPointer] = []

        mutating func allocate(_ size: Int) -> UnsafeMutableRawPointer {
            let pointer = calloc(1, max(size, 1))!
            pointers.append(pointer)
            return pointer
        }

        mutating func freeAll() { pointers.forEach { free($0) } }
    }

    private static func build(_ message: ProtoMessage, descriptor: MessageDescriptor,
                              memory: inout Allocations) throws(EnvelopeError) -> UnsafeMutableRawPointer {
        let d = descriptor.raw.pointee
        guard message.name == descriptor.name else {
            throw EnvelopeError(.invalidField, "a \(message.name) value cannot be encoded as \(descriptor.name)")
        }
        let base = memory.allocate(d.sizeof_message)
        d.message_init(base.assumingMemoryBound(to: ProtobufCMessage.self))
        var known = Set<String>()
        var oneofCases: [UInt32: String] = [:]
        for index in 0..<Int(d.n_fields) {
            let field = d.fields[index]
            let name = String(cString: field.name)
            known.insert(name)
            guard let value = message.fields[name] else { continue }
            let path = "\(descriptor.name).\(name)"
            if field.label == PROTOBUF_C_LABEL_REPEATED {
                guard case .list(let items) = value else { throw EnvelopeError(.invalidField, "\(path) is repeated: give a .list") }
                let size = elementSize(field)
                let array = memory.allocate(items.count * size)
                for (i, item) in items.enumerated() {
                    try writeElement(item, at: array + i * size, field: field, path: path, memory: &memory)
                }
                base.storeBytes(of: items.count, toByteOffset: Int(field.quantifier_offset), as: Int.self)
                base.storeBytes(of: UnsafeRawPointer(array), toByteOffset: Int(field.offset), as: UnsafeRawPointer.self)
                continue
            }
            if isOneof(field) {
                if let other = oneofCases[field.quantifier_offset] {
                    throw EnvelopeError(.invalidField, "\(path) and \(descriptor.name).\(other) are members of one oneof: set only one")
                }
                oneofCases[field.quantifier_offset] = name
                base.storeBytes(of: field.id, toByteOffset: Int(field.quantifier_offset), as: UInt32.self)
            } else if field.label == PROTOBUF_C_LABEL_OPTIONAL && hasPresenceFlag(field) {
                base.storeBytes(of: Int32(1), toByteOffset: Int(field.quantifier_offset), as: Int32.self)
            }
            try writeElement(value, at: base + Int(field.offset), field: field, path: path, memory: &memory)
        }
        if let unknown = message.fields.keys.first(where: { !known.contains($0) }) {
            throw EnvelopeError(.invalidField, "\(descriptor.name) has no field \(unknown)")
        }
        return base
    }

    private static func writeElement(_ value: ProtoValue, at: UnsafeMutableRawPointer, field: ProtobufCFieldDescriptor,
                                     path: String, memory: inout Allocations) throws(EnvelopeError) {
        func mismatch(_ expected: String) -> EnvelopeError {
            EnvelopeError(.invalidField, "\(path) expects \(expected), not \(value)")
        }
        func integer<T: FixedWidthInteger>(_ type: T.Type) throws(EnvelopeError) -> T {
            let result: T? = switch value {
            case .int(let v): T(exactly: v)
            case .uint(let v): T(exactly: v)
            case .enumValue(let v): T(exactly: v)
            default: nil
            }
            guard let result else { throw mismatch("an integer that fits \(T.self)") }
            return result
        }
        switch field.type {
        case PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_SINT32, PROTOBUF_C_TYPE_SFIXED32, PROTOBUF_C_TYPE_ENUM:
            at.storeBytes(of: try integer(Int32.self), as: Int32.self)
        case PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64, PROTOBUF_C_TYPE_SFIXED64:
            at.storeBytes(of: try integer(Int64.self), as: Int64.self)
        case PROTOBUF_C_TYPE_UINT32, PROTOBUF_C_TYPE_FIXED32:
            at.storeBytes(of: try integer(UInt32.self), as: UInt32.self)
        case PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_FIXED64:
            at.storeBytes(of: try integer(UInt64.self), as: UInt64.self)
        case PROTOBUF_C_TYPE_FLOAT, PROTOBUF_C_TYPE_DOUBLE:
            let number: Double = switch value {
            case .double(let v): v
            case .int(let v): Double(v)
            case .uint(let v): Double(v)
            default: throw mismatch("a number")
            }
            if field.type == PROTOBUF_C_TYPE_FLOAT { at.storeBytes(of: Float(number), as: Float.self) }
            else { at.storeBytes(of: number, as: Double.self) }
        case PROTOBUF_C_TYPE_BOOL:
            guard case .bool(let flag) = value else { throw mismatch("a bool") }
            at.storeBytes(of: Int32(flag ? 1 : 0), as: Int32.self)
        case PROTOBUF_C_TYPE_STRING:
            guard case .string(let text) = value else { throw mismatch("a string") }
            var arena = CStringArena(capacity: text.utf8.count + 1)
            let copy = try arena.copy(text, field: "string field")  // refuses embedded NUL
            let stored = memory.allocate(text.utf8.count + 1)
            stored.copyMemory(from: copy, byteCount: text.utf8.count + 1)
            at.storeBytes(of: UnsafeRawPointer(stored), as: UnsafeRawPointer.self)
        case PROTOBUF_C_TYPE_BYTES:
            guard case .bytes(let data) = value else { throw mismatch("bytes") }
            let stored = memory.allocate(data.count)
            data.withUnsafeBytes { if let source = $0.baseAddress { stored.copyMemory(from: source, byteCount: data.count) } }
            at.storeBytes(of: ProtobufCBinaryData(len: data.count, data: stored.assumingMemoryBound(to: UInt8.self)),
                          as: ProtobufCBinaryData.self)
        case PROTOBUF_C_TYPE_MESSAGE:
            guard case .message(let nested) = value, let nestedDescriptor = field.descriptor else { throw mismatch("a message") }
            let descriptor = MessageDescriptor(raw: nestedDescriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self))
            let built = try build(nested, descriptor: descriptor, memory: &memory)
            at.storeBytes(of: UnsafeRawPointer(built), as: UnsafeRawPointer.self)
        default:
            throw EnvelopeError(.invalidField, "\(path) has an unsupported protobuf-c field type \(field.type.rawValue)")
        }
    }

    // MARK: Layout

    private static func isOneof(_ field: ProtobufCFieldDescriptor) -> Bool {
        field.flags & UInt32(PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue) != 0
    }

    /// proto2 `optional` scalars and bytes have a `has_` flag; strings and
    /// messages use NULL for absent instead.
    private static func hasPresenceFlag(_ field: ProtobufCFieldDescriptor) -> Bool {
        field.type != PROTOBUF_C_TYPE_STRING && field.type != PROTOBUF_C_TYPE_MESSAGE && !isOneof(field)
    }

    /// The size of one element of a repeated field's C array.
    private static func elementSize(_ field: ProtobufCFieldDescriptor) -> Int {
        switch field.type {
        case PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64, PROTOBUF_C_TYPE_SFIXED64,
             PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_FIXED64, PROTOBUF_C_TYPE_DOUBLE: 8
        case PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_MESSAGE: MemoryLayout<UnsafeRawPointer>.size
        case PROTOBUF_C_TYPE_BYTES: MemoryLayout<ProtobufCBinaryData>.size
        default: 4  // 32-bit integers, float, bool (an int), enum
        }
    }
}
