import AgionBus
import AgionContract
import AgionEnvelope
import AgionJSON
import AsyncHTTPClient
import Foundation
import MissionsCore
import NIOCore
import NIOHTTP1

/// Calls an agent the way its container said it can be reached: the HTTP
/// container contract (docs/agent-contract.md) or NATS (an SDK agent). Every
/// way an agent can fail ends as a `StepError` whose `retriable` says whether
/// another attempt may help: timeouts, refused or dropped connections, 408,
/// 429 and 5xx may; 4xx and answers that are not the contract's may not.
struct AgentInvoker: Sendable {
    let http: HTTPClient
    let bus: Bus
    let maxOutputBytes: Int
    let progress: ProgressRelay

    struct Invocation: Sendable {
        var agent: AgentID
        var endpoint: AgentEndpoint
        var input: JSONValue
        /// What the agent is told about the step (mission, step, attempt, key, ...).
        var context: [String: JSONValue]
        var idempotencyKey: String
        var attempt: Int
        var timeout: Duration
        var traceparent: String
        /// Where its live progress goes.
        var live: ProgressRelay.Attempt
    }

    enum Answer: Sendable {
        case output(JSONValue, Usage)
        case failure(StepError)
    }

    func invoke(_ invocation: Invocation) async -> Answer {
        switch invocation.endpoint {
        case .http(let baseURL): await invokeHTTP(invocation, baseURL: baseURL)
        case .nats:
            // Always the agent's own invoke subject, whatever was registered:
            // that is the only subject its tenant's NATS account lets in, and
            // no registration can point execution at another agent.
            await invokeNATS(invocation, subject: AgentSubjects.invoke(tenant: invocation.context["tenant"]?.stringValue ?? "",
                                                                       agent: invocation.agent.description))
        }
    }

    // MARK: HTTP

    private func invokeHTTP(_ invocation: Invocation, baseURL: String) async -> Answer {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        var request = HTTPClientRequest(url: "\(base)/agents/\(invocation.agent)/invoke")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        // An agent that streams answers with events (progress, then the result); one that does not, with JSON.
        request.headers.add(name: "Accept", value: "application/json, text/event-stream")
        request.headers.add(name: "Idempotency-Key", value: invocation.idempotencyKey)
        request.headers.add(name: "Agion-Attempt", value: String(invocation.attempt))
        if !invocation.traceparent.isEmpty { request.headers.add(name: "traceparent", value: invocation.traceparent) }
        let body: JSONValue = ["input": invocation.input, "context": .object(invocation.context)]
        request.body = .bytes(ByteBuffer(bytes: body.serialized))
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: TimeAmount.nanoseconds(Int64(invocation.timeout / .nanoseconds(1))))
        } catch {
            return .failure(Self.transportError(error, timeout: invocation.timeout))
        }
        if (200..<300).contains(response.status.code),
           response.headers.first(name: "Content-Type")?.lowercased().hasPrefix("text/event-stream") == true {
            return await streamed(response, invocation)
        }
        let bytes: ByteBuffer
        do {
            bytes = try await response.body.collect(upTo: maxOutputBytes)
        } catch is NIOTooManyBytesError {
            return .failure(StepError(code: "output_too_large", message: "the agent answered more than \(maxOutputBytes) bytes", retriable: false))
        } catch {
            return .failure(Self.transportError(error, timeout: invocation.timeout))
        }
        let status = response.status.code
        guard (200..<300).contains(status) else {
            let excerpt = String(decoding: bytes.readableBytesView.prefix(300), as: UTF8.self)
            let retriable = status == 408 || status == 429 || status >= 500
            return .failure(StepError(code: retriable ? "agent_error" : "agent_rejected", message: "HTTP \(status): \(excerpt)", retriable: retriable))
        }
        return Self.answer(Array(bytes.readableBytesView))
    }

    /// An answer as server-sent events: `progress` events relayed as they
    /// come, then `result` (the JSON answer) or `error` (`{code, message,
    /// retriable}`). The whole stream is bounded (twice the output limit:
    /// streamed tokens and then the full output).
    private func streamed(_ response: HTTPClientResponse, _ invocation: Invocation) async -> Answer {
        var parser = EventStreamParser(maxEventBytes: maxOutputBytes + 1_024)
        var total = 0
        do {
            for try await chunk in response.body {
                total += chunk.readableBytes
                guard total <= 2 * maxOutputBytes else {
                    return .failure(StepError(code: "output_too_large", message: "the agent streamed more than \(2 * maxOutputBytes) bytes", retriable: false))
                }
                for event in try parser.feed(chunk.readableBytesView) {
                    switch event.name {
                    case "progress": progress.relay(json: event.data, for: invocation.live)
                    case "result": return Self.answer(event.data)
                    case "error": return .failure(Self.streamedError(event.data))
                    default: continue  // a newer contract's event: not ours
                    }
                }
            }
        } catch let error as EventStreamParser.ParseError {
            if case .eventTooLarge(let limit) = error {
                return .failure(StepError(code: "output_too_large", message: "an event of the agent's stream is over \(limit) bytes", retriable: false))
            }
        } catch {
            return .failure(Self.transportError(error, timeout: invocation.timeout))
        }
        // Cut off before its result: like a dropped connection.
        return .failure(StepError(code: "unreachable", message: "the agent's event stream ended without a result", retriable: true))
    }

    /// A streamed `error` event: `{"code", "message", "retriable"}`.
    static func streamedError(_ data: [UInt8]) -> StepError {
        guard case .object(let fields)? = try? JSONValue.parse(data) else {
            return StepError(code: "agent_error", message: "the agent's error event is not JSON", retriable: true)
        }
        let code = fields["code"]?.stringValue ?? "error"
        return StepError(code: "agent_error", message: "\(code): \(fields["message"]?.stringValue ?? "")", retriable: fields["retriable"] == .bool(true))
    }

    /// The contract's answer: `{"output": <any JSON>, "usage": {...}}`.
    static func answer(_ body: [UInt8]) -> Answer {
        guard let json = try? JSONValue.parse(body), case .object(let fields) = json else {
            return .failure(StepError(code: "invalid_output", message: "the agent's answer is not a JSON object", retriable: false))
        }
        guard let output = fields["output"] else {
            return .failure(StepError(code: "invalid_output", message: "the agent's answer has no \"output\"", retriable: false))
        }
        guard let usage = usage(fields["usage"]) else {
            return .failure(StepError(code: "invalid_output", message: "usage must be {input_tokens, output_tokens, cost_usd} of non-negative numbers",
                                      retriable: false))
        }
        return .output(output, usage)
    }

    static func usage(_ json: JSONValue?) -> Usage? {
        guard let json, json != .null else { return .zero }
        guard case .object(let fields) = json else { return nil }
        func number(_ key: String) -> Double? {
            switch fields[key] {
            case nil, .null?: 0
            case .integer(let v)?: Double(v)
            case .number(let v)?: v
            default: nil
            }
        }
        guard let input = number("input_tokens"), let output = number("output_tokens"), let cost = number("cost_usd"),
              input >= 0, output >= 0, cost >= 0, cost.isFinite, input < 9e15, output < 9e15 else { return nil }
        return Usage(inputTokens: Int64(input), outputTokens: Int64(output), costUSD: cost)
    }

    static func transportError(_ error: any Error, timeout: Duration) -> StepError {
        if let client = error as? HTTPClientError, client == .deadlineExceeded || client == .readTimeout || client == .connectTimeout {
            return StepError(code: "timeout", message: "the agent did not answer within \(timeout)", retriable: true)
        }
        if error is CancellationError || (error as? HTTPClientError) == .cancelled {
            return StepError(code: "cancelled", message: "the attempt was stopped", retriable: false)
        }
        return StepError(code: "unreachable", message: "the agent could not be reached: \(error)", retriable: true)
    }

    // MARK: NATS

    private func invokeNATS(_ invocation: Invocation, subject: String) async -> Answer {
        let deadline = Envelope.nowUnixNanos() + Int64(invocation.timeout / .nanoseconds(1))
        let request = ProtoMessage("agion.v1.AgentInvocation", [
            "agent_id": .string(invocation.agent.description), "input": .message(invocation.input.valueProto),
            "mission_id": .string(invocation.context["mission_id"]?.stringValue ?? ""), "step_id": .string(invocation.context["step_id"]?.stringValue ?? ""),
            "attempt": .uint(UInt64(invocation.attempt)), "idempotency_key": .string(invocation.idempotencyKey),
            "action": .string(invocation.context["action"]?.stringValue ?? ""), "principal": .string(invocation.context["principal"]?.stringValue ?? ""),
            "deadline_unix_nanos": .int(deadline),
        ])
        // The agent's progress for this mission, taken while the attempt runs
        // (subscribed first: an update sent at once is not missed).
        let live = invocation.live
        let updates = try? bus.subscribe(AgentSubjects.progress(tenant: live.tenant, agent: live.agent.description, mission: live.mission))
        let relaying = Task { [progress] in
            guard let updates else { return }
            for await update in updates { progress.relay(envelope: update, for: live) }
        }
        let answer = await requestNATS(invocation, request: request, subject: subject)
        // Updates sent just before the reply may still be on their way
        // through cnats: relay them before the result is reported, then stop.
        await updates?.drain()
        await relaying.value
        return answer
    }

    private func requestNATS(_ invocation: Invocation, request: ProtoMessage, subject: String) async -> Answer {
        let reply: Envelope
        do {
            let payload = try ProtoSchema.encode(request)
            // A NATS message has the server's max_payload at most (8 MB here):
            // an input that big (stored outputs resolved into it) cannot go.
            if bus.maxPayload > 0, payload.count + 4_096 > bus.maxPayload {
                return .failure(StepError(code: "input_too_large", message: "the input is \(payload.count) bytes; a NATS agent takes at most "
                                          + "\(bus.maxPayload - 4_096) (an HTTP agent takes larger ones)", retriable: false))
            }
            var envelope = Envelope(type: "agion.v1.AgentInvocation", tenant: invocation.context["tenant"]?.stringValue ?? "",
                                    payload: payload)
            envelope.traceparent = invocation.traceparent
            reply = try await bus.request(subject, envelope, timeout: invocation.timeout)
        } catch let error as BusError {
            switch error.code {
            case .timeout: return .failure(StepError(code: "timeout", message: "the agent did not answer within \(invocation.timeout)", retriable: true))
            case .remote:
                let remote = error.remote
                return .failure(StepError(code: "agent_error", message: "\(remote?.code.wire ?? "error"): \(remote?.message ?? "")",
                                          retriable: remote?.retriable ?? false))
            case .cancelled: return .failure(StepError(code: "cancelled", message: "the attempt was stopped", retriable: false))
            case .connectionFailed, .closed:
                // Our own bus is down, not the agent: not one of its attempts.
                return .failure(StepError(code: "bus_unavailable", message: "NATS is unavailable: \(error)", retriable: true, platform: true))
            default: return .failure(StepError(code: "unreachable", message: "the agent could not be reached: \(error)", retriable: true))
            }
        } catch {
            return .failure(StepError(code: "unreachable", message: "\(error)", retriable: true))
        }
        guard reply.payload.count <= maxOutputBytes else {
            return .failure(StepError(code: "output_too_large", message: "the agent answered more than \(maxOutputBytes) bytes", retriable: false))
        }
        guard let result = try? ProtoSchema.decode("agion.v1.AgentResult", from: reply.payload) else {
            return .failure(StepError(code: "invalid_output", message: "the agent's reply is not an agion.v1.AgentResult", retriable: false))
        }
        return .output(result.json("output"), Usage(proto: result.message("usage")))
    }
}
