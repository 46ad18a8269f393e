/// Several encoded envelopes in one message (`agion.v1.EnvelopeBatch`): how a
/// caller coalesces requests to a high-rate method into one NATS message, and
/// how the responder answers them, one reply per request in request order
/// (docs/subjects.md, "Batched requests").
///
/// The elements stay encoded: a batch is a transport, each element is read
/// (and may fail to decode) on its own.
public struct EnvelopeBatch: Hashable, Sendable {
    /// Envelope type of a batch, request or reply.
    public static let envelopeType = "agion.v1.EnvelopeBatch"
    /// The subject a method's batches go to: `<method subject>.batch`.
    public static func subject(for method: String) -> String { method + ".batch" }

    /// Each element is one complete encoded `Envelope`.
    public var envelopes: [[UInt8]]

    public init(envelopes: [[UInt8]]) {
        self.envelopes = envelopes
    }
}
