/// A Swift contract type backed by a message of Proto/agion/v1: it maps its
/// properties to and from a `ProtoMessage` by field name, and gets the wire
/// encoding from `ProtoSchema`.
public protocol ProtoConvertible: Sendable {
    /// The full protobuf name, for example `agion.v1.Heartbeat`.
    static var protoName: String { get }
    /// Validates and reads the fields; throws `.invalidField` naming the field.
    init(proto: ProtoMessage) throws(EnvelopeError)
    var proto: ProtoMessage { get }
    /// Decodes and validates the wire bytes. The default goes through
    /// `ProtoSchema` and `init(proto:)`; a type on a hot path may read the wire
    /// format itself (it must read every valid message as the default does,
    /// and may only be stricter with malformed bytes).
    init(decoding bytes: [UInt8]) throws(EnvelopeError)
}

extension ProtoConvertible {
    public func encoded() throws(EnvelopeError) -> [UInt8] { try ProtoSchema.encode(proto) }

    public init(decoding bytes: [UInt8]) throws(EnvelopeError) {
        try self.init(proto: ProtoSchema.decode(Self.protoName, from: bytes))
    }
}

extension Envelope {
    /// Decodes the payload as `T`. The caller has already checked `type`.
    public func payload<T: ProtoConvertible>(as type: T.Type) throws(EnvelopeError) -> T {
        try T(decoding: payload)
    }
}
