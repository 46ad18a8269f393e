import CAgionProto
import CProtobufC
import Foundation

extension Envelope {
    /// The protobuf encoding of this envelope.
    ///
    /// Throws only for strings protobuf-c cannot carry (an embedded NUL).
    public func encoded() throws(EnvelopeError) -> [UInt8] {
        let idText = id.lowercasedString
        var capacity = idText.utf8.count + type.utf8.count + tenant.utf8.count + correlationID.utf8.count
            + causationID.utf8.count + traceparent.utf8.count + 6
        for (key, value) in headers { capacity += key.utf8.count + value.utf8.count + 2 }
        var arena = CStringArena(capacity: capacity)

        var message = Agion__V1__Envelope()
        agion__v1__envelope__init(&message)
        message.id = try arena.copy(idText, field: "id")
        message.type = try arena.copy(type, field: "type")
        message.schema_version = schemaVersion
        message.occurred_at_unix_nanos = occurredAtUnixNanos
        message.tenant = try arena.copy(tenant, field: "tenant")
        message.correlation_id = try arena.copy(correlationID, field: "correlation_id")
        message.causation_id = try arena.copy(causationID, field: "causation_id")
        message.traceparent = try arena.copy(traceparent, field: "traceparent")

        let headerCount = headers.count
        let headerStructs = UnsafeMutablePointer<Agion__V1__Header>.allocate(capacity: max(headerCount, 1))
        let headerPointers = UnsafeMutablePointer<UnsafeMutablePointer<Agion__V1__Header>?>.allocate(capacity: max(headerCount, 1))
        defer {
            headerStructs.deallocate()
            headerPointers.deallocate()
        }
        // Sorted so the same envelope always encodes to the same bytes.
        let ordered = headerCount > 1 ? headers.sorted(by: { $0.key < $1.key }) : Array(headers)
        for (index, (key, value)) in ordered.enumerated() {
            agion__v1__header__init(headerStructs + index)
            headerStructs[index].key = try arena.copy(key, field: "headers.key")
            headerStructs[index].value = try arena.copy(value, field: "headers.value")
            headerPointers[index] = headerStructs + index
        }
        message.n_headers = headerCount
        message.headers = headerCount > 0 ? headerPointers : nil

        return payload.withUnsafeBufferPointer { body in
            message.payload.len = body.count
            message.payload.data = UnsafeMutablePointer(mutating: body.baseAddress)
            return withUnsafePointer(to: &message.base) { ProtobufCCodec.pack($0) }
        }
    }

    /// Decodes an envelope. Any malformed input, including a missing or invalid id,
    /// is an `EnvelopeError`; unknown fields are ignored.
    public init(decoding bytes: [UInt8]) throws(EnvelopeError) {
        self = try ProtobufCCodec.decode(bytes) { buffer throws(EnvelopeError) in try Envelope(decoding: buffer) }
    }

    /// Decodes an envelope from borrowed memory (for example a NATS message body).
    public init(decoding bytes: UnsafeRawBufferPointer) throws(EnvelopeError) {
        self = try ProtobufCCodec.withUnpacked(
            bytes, named: "agion.v1.Envelope",
            unpack: agion__v1__envelope__unpack, free: agion__v1__envelope__free_unpacked
        ) { (m: UnsafePointer<Agion__V1__Envelope>) throws(EnvelopeError) -> Envelope in
            let message = m.pointee
            let idText = try ProtobufCCodec.string(message.id, field: "id")
            guard let id = UUID(canonical: idText) else {
                throw EnvelopeError(.invalidField, "id is not a UUID")
            }
            let type = try ProtobufCCodec.string(message.type, field: "type")
            guard !type.isEmpty else { throw EnvelopeError(.invalidField, "type is empty") }
            var headers: [String: String] = [:]
            if message.n_headers > 0 {
                headers.reserveCapacity(message.n_headers)
                for index in 0..<message.n_headers {
                    guard let header = message.headers[index] else { continue }
                    let key = try ProtobufCCodec.string(header.pointee.key, field: "headers.key")
                    headers[key] = try ProtobufCCodec.string(header.pointee.value, field: "headers.value")
                }
            }
            return Envelope(
                id: id,
                type: type,
                schemaVersion: message.schema_version,
                occurredAtUnixNanos: message.occurred_at_unix_nanos,
                tenant: try ProtobufCCodec.string(message.tenant, field: "tenant"),
                correlationID: try ProtobufCCodec.string(message.correlation_id, field: "correlation_id"),
                causationID: try ProtobufCCodec.string(message.causation_id, field: "causation_id"),
                traceparent: try ProtobufCCodec.string(message.traceparent, field: "traceparent"),
                headers: headers,
                payload: ProtobufCCodec.bytes(message.payload)
            )
        }
    }
}
