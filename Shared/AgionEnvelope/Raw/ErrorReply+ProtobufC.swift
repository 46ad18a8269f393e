import CAgionProto
import CProtobufC

extension ErrorReply {
    /// The protobuf encoding of this error reply.
    public func encoded() throws(EnvelopeError) -> [UInt8] {
        var arena = CStringArena(capacity: CStringArena.capacity(for: [code, message, field]))
        var reply = Agion__V1__ErrorReply()
        agion__v1__error_reply__init(&reply)
        reply.code = try arena.copy(code, field: "code")
        reply.message = try arena.copy(message, field: "message")
        reply.field = try arena.copy(field, field: "field")
        reply.retriable = retriable ? 1 : 0
        return withUnsafePointer(to: &reply.base) { ProtobufCCodec.pack($0) }
    }

    /// Decodes an error reply payload.
    public init(decoding bytes: [UInt8]) throws(EnvelopeError) {
        self = try ProtobufCCodec.decode(bytes) { buffer throws(EnvelopeError) in
            try ProtobufCCodec.withUnpacked(
                buffer, named: "agion.v1.ErrorReply",
                unpack: agion__v1__error_reply__unpack, free: agion__v1__error_reply__free_unpacked
            ) { (r: UnsafePointer<Agion__V1__ErrorReply>) throws(EnvelopeError) in
                ErrorReply(
                    code: try ProtobufCCodec.string(r.pointee.code, field: "code"),
                    message: try ProtobufCCodec.string(r.pointee.message, field: "message"),
                    retriable: r.pointee.retriable != 0,
                    field: try ProtobufCCodec.string(r.pointee.field, field: "field")
                )
            }
        }
    }
}
