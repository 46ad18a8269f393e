import AgionEnvelope
import Metrics

/// Answers batches (`EnvelopeBatch` from a `RequestBatcher`) on a cnats
/// delivery thread: decodes each request, runs the batch handler once, and
/// sends one reply holding a reply per request, in order. A request that does
/// not decode gets its own `decode_failed` in its slot; the others are served.
final class BlockingBatchResponderCore: MessageDelivery, Sendable {
    let channel: ReplyChannel
    let handler: BlockingBatchHandler
    /// Requests in one batch at most (a `RequestBatcher` sends 64 by default).
    static let maxRequests = 1_024
    private let batches: Counter

    init(channel: ReplyChannel, handler: @escaping BlockingBatchHandler) {
        self.channel = channel
        self.handler = handler
        batches = Counter(label: "agion_rpc_batches_handled_total", dimensions: [("subject", channel.subject)])
    }

    func deliver(_ message: OpaquePointer) {
        let request = IncomingRequest(consuming: message)
        guard let outer = channel.decode(request, scope: .platform) else { return }
        let started = ContinuousClock.now
        let batch: EnvelopeBatch
        do {
            guard outer.type == EnvelopeBatch.envelopeType else {
                throw ErrorReply(code: ErrorReply.Code.invalidArgument, message: "a batch is an \(EnvelopeBatch.envelopeType), not \(outer.type)")
            }
            do { batch = try EnvelopeBatch(decoding: outer.payload) } catch { throw channel.undecodable(error) }
            guard batch.envelopes.count <= Self.maxRequests else {
                throw ErrorReply(code: ErrorReply.Code.invalidArgument, message: "a batch holds at most \(Self.maxRequests) requests")
            }
        } catch {
            channel.answer(.failure(error), request: outer, replyTo: request.reply, started: started)
            return
        }
        batches.increment()
        var requests: [Envelope] = []
        var slots: [Result<Envelope, ErrorReply>] = []
        requests.reserveCapacity(batch.envelopes.count)
        slots.reserveCapacity(batch.envelopes.count)
        for bytes in batch.envelopes {
            do {
                let envelope = try ReplyChannel.request(bytes)
                requests.append(envelope)
                slots.append(.success(envelope))
            } catch {
                slots.append(.failure(channel.undecodable(error)))
            }
        }
        var results = requests.isEmpty ? [] : handler(requests)[...]
        var replies: [[UInt8]] = []
        replies.reserveCapacity(slots.count)
        for slot in slots {
            let reply: Envelope
            switch slot {
            case .failure(let error):
                reply = channel.errorEnvelope(error, request: nil)
            case .success(let envelope):
                // A handler that returned too few results is a bug; its requests get `internal`, not silence.
                let result = results.popFirst() ?? .failure(BatchHandlerShortfall())
                reply = channel.replyEnvelope(result, request: envelope, started: started)
            }
            replies.append(encoded(reply))
        }
        let payload = EnvelopeBatch(envelopes: replies).encoded()
        // Over the server's max_payload the publish would fail and every caller
        // would wait into its timeout: answer the batch with an error instead.
        guard payload.count + Self.envelopeOverhead <= channel.connection.maxPayload else {
            channel.logger.error("rpc.batch_reply_too_large", metadata: ["nats.subject": "\(channel.subject)", "bytes": "\(payload.count)"])
            channel.send(channel.errorEnvelope(ErrorReply(code: ErrorReply.Code.internalError, message: "the batch's replies exceed the NATS message size limit",
                                                          retriable: false), request: outer), to: request.reply)
            return
        }
        channel.send(outer.caused(type: EnvelopeBatch.envelopeType, payload: payload), to: request.reply)
    }

    /// Room for the outer envelope's own fields around the batch.
    static let envelopeOverhead = 1_024

    private func encoded(_ reply: Envelope) -> [UInt8] {
        do {
            return try reply.encoded()
        } catch {
            channel.logger.error("rpc.reply_unencodable", metadata: ["nats.subject": "\(channel.subject)", "error": "\(error)"])
            let fallback = channel.errorEnvelope(ErrorReply(code: ErrorReply.Code.internalError, message: "internal error", retriable: true), request: nil)
            return (try? fallback.encoded()) ?? []
        }
    }
}

private struct BatchHandlerShortfall: Error, CustomStringConvertible {
    var description: String { "the batch handler returned fewer results than requests" }
}
