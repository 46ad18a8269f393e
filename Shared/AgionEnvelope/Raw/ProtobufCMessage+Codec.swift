import CProtobufC

/// Packs and unpacks any protobuf-c message through its descriptor. Every
/// contract message (envelope, error reply, payloads) goes through these two
/// functions, so there is one place that handles sizes and failures.
package enum ProtobufCCodec {
    /// Packs a fully initialised message into a new byte array.
    package static func pack(_ message: UnsafePointer<ProtobufCMessage>) -> [UInt8] {
        let size = protobuf_c_message_get_packed_size(message)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            initialized = size == 0 ? 0 : protobuf_c_message_pack(message, buffer.baseAddress!)
        }
    }

    /// Unpacks `bytes` with a generated `*_unpack` function, hands the message to
    /// `body`, and frees it with the matching `*_free_unpacked`. Malformed input is
    /// an error, never a trap: protobuf-c returns NULL for it.
    package static func withUnpacked<Message, Result>(
        _ bytes: UnsafeRawBufferPointer,
        named name: StaticString,
        unpack: (UnsafeMutablePointer<ProtobufCAllocator>?, Int, UnsafePointer<UInt8>?) -> UnsafeMutablePointer<Message>?,
        free: (UnsafeMutablePointer<Message>?, UnsafeMutablePointer<ProtobufCAllocator>?) -> Void,
        _ body: (UnsafePointer<Message>) throws(EnvelopeError) -> Result
    ) throws(EnvelopeError) -> Result {
        // protobuf-c reads `data` even for length 0 on some paths: never pass NULL.
        let emptyByte: UInt8 = 0
        let message = withUnsafePointer(to: emptyByte) { empty in
            unpack(nil, bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? empty)
        }
        guard let message else { throw EnvelopeError(.malformed, "not a valid \(name) message") }
        defer { free(message, nil) }
        return try body(message)
    }

    /// Runs a typed-throwing decoder over the bytes of an array.
    package static func decode<T>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(EnvelopeError) -> T) throws(EnvelopeError) -> T {
        try bytes.withUnsafeBytes { buffer in Swift.Result { () throws(EnvelopeError) in try body(buffer) } }.get()
    }

    /// A Swift string from a decoded protobuf-c string field; invalid UTF-8 is an
    /// error (proto3 strings must be UTF-8) rather than silently repaired.
    package static func string(_ pointer: UnsafePointer<CChar>?, field: StaticString) throws(EnvelopeError) -> String {
        guard let pointer else { return "" }
        guard let value = String(validatingCString: pointer) else {
            throw EnvelopeError(.malformed, "\(field) is not valid UTF-8")
        }
        return value
    }

    /// Copies a decoded bytes field into a Swift array.
    package static func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
        guard data.len > 0, let pointer = data.data else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: data.len))
    }
}
