/// The contract messages of Proto/agion/v1 by full name, with their protobuf-c
/// descriptors. Adding a message to a .proto file means one line in
/// Raw/ProtoSchema+Descriptors.swift (a test checks that every message in
/// Proto/ is listed).
public enum ProtoSchema {
    /// Full names of every registered message.
    public static var messageNames: [String] { Array(descriptors.keys).sorted() }

    /// Encodes `message` with its registered descriptor.
    public static func encode(_ message: ProtoMessage) throws(EnvelopeError) -> [UInt8] {
        try ProtobufCReflection.encode(message, descriptor: descriptor(message.name))
    }

    /// Decodes bytes as the message named `name`. Malformed input is an error.
    public static func decode(_ name: String, from bytes: [UInt8]) throws(EnvelopeError) -> ProtoMessage {
        let descriptor = try descriptor(name)
        return try ProtobufCCodec.decode(bytes) { buffer throws(EnvelopeError) in
            try ProtobufCReflection.decode(buffer, descriptor: descriptor)
        }
    }

    static func descriptor(_ name: String) throws(EnvelopeError) -> MessageDescriptor {
        guard let descriptor = descriptors[name] else {
            throw EnvelopeError(.unknownType, "\(name) is not a registered contract message")
        }
        return descriptor
    }
}
