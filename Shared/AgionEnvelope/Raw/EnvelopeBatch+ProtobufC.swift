import CAgionProto
import CProtobufC

extension EnvelopeBatch {
    /// The protobuf encoding of the batch.
    public func encoded() -> [UInt8] {
        // protobuf-c points at each element's bytes: lay them out in one
        // buffer that outlives the pack, rather than pinning N arrays at once.
        let total = envelopes.reduce(0) { $0 + $1.count }
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: max(total, 1))
        let elements = UnsafeMutablePointer<ProtobufCBinaryData>.allocate(capacity: max(envelopes.count, 1))
        defer {
            storage.deallocate()
            elements.deallocate()
        }
        var offset = 0
        for (index, envelope) in envelopes.enumerated() {
            envelope.withUnsafeBufferPointer { bytes in
                if let base = bytes.baseAddress, !bytes.isEmpty { (storage + offset).update(from: base, count: bytes.count) }
            }
            elements[index] = ProtobufCBinaryData(len: envelope.count, data: storage + offset)
            offset += envelope.count
        }
        var message = Agion__V1__EnvelopeBatch()
        agion__v1__envelope_batch__init(&message)
        message.n_envelopes = envelopes.count
        message.envelopes = envelopes.isEmpty ? nil : elements
        return withUnsafePointer(to: &message.base) { ProtobufCCodec.pack($0) }
    }

    /// Decodes a batch; malformed bytes are an `EnvelopeError`, and unknown
    /// fields are ignored. The elements are not decoded here.
    public init(decoding bytes: [UInt8]) throws(EnvelopeError) {
        self = try ProtobufCCodec.decode(bytes) { buffer throws(EnvelopeError) in
            try ProtobufCCodec.withUnpacked(
                buffer, named: "agion.v1.EnvelopeBatch",
                unpack: agion__v1__envelope_batch__unpack, free: agion__v1__envelope_batch__free_unpacked
            ) { (m: UnsafePointer<Agion__V1__EnvelopeBatch>) throws(EnvelopeError) -> EnvelopeBatch in
                let message = m.pointee
                var envelopes: [[UInt8]] = []
                envelopes.reserveCapacity(message.n_envelopes)
                for index in 0..<message.n_envelopes { envelopes.append(ProtobufCCodec.bytes(message.envelopes[index])) }
                return EnvelopeBatch(envelopes: envelopes)
            }
        }
    }
}
