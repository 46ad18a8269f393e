import CAgionProto
import CProtobufC

extension ErrorReply {
    /// The protobuf encoding of this error reply. protobuf-c strings end at a
    /// NUL, and error texts often quote what the caller sent, so a NUL in them
    /// is written as `\u{0}` instead of failing: an error must always reach the caller.
    public func encoded() throws(EnvelopeError) -> [UInt8] {
        let (code, message, field) = (Self.printable(code.wire), Self.printable(message), Self.printable(field))
        var arena = CStringArena(capacity: CStringArena.capacity(for: [code, message, field]))
        var reply = Agion__V1__ErrorReply()
        agion__v1__error_reply__init(&reply)
        reply.code = try arena.copy(code, field: "code")
        reply.message = try arena.copy(message, field: "message")
        reply.field = try arena.copy(field, field: "field")
        reply.retriable = retriable ? 1 : 0
        return withUnsafePointer(to: &reply.base) { ProtobufCCodec.pack($0) }
    }

    static func printable(_ text: String) -> String {
        guard text.utf8.contains(0) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == "\u{0}" { out.append(contentsOf: "\\u{0}".unicodeScalars) } else { out.append(scalar) }
        }
        return String(out)
    }

    /// Decodes an error reply payload.
    public init(decoding bytes: [UInt8]) throws(EnvelopeError) {
        self = try ProtobufCCodec.decode(bytes) { buffer throws(EnvelopeError) in
            try ProtobufCCodec.withUnpacked(
                buffer, named: "agion.v1.ErrorReply",
                unpack: agion__v1__error_reply__unpack, free: agion__v1__error_reply__free_unpacked
            ) { (r: UnsafePointer<Agion__V1__ErrorReply>) throws(EnvelopeError) in
                ErrorReply(
                    code: Code(wire: try ProtobufCCodec.string(r.pointee.code, field: "code")),
                    message: try ProtobufCCodec.string(r.pointee.message, field: "message"),
                    retriable: r.pointee.retriable != 0,
                    field: try ProtobufCCodec.string(r.pointee.field, field: "field")
                )
            }
        }
    }
}
