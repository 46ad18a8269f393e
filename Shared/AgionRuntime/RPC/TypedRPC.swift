import AgionBus
import AgionContract
import AgionEnvelope
import AgionStore

/// What a typed handler knows about the request besides its payload.
public struct RequestContext: Sendable {
    /// The request as received (for causation, correlation and trace).
    public let envelope: Envelope
    /// The validated tenant the request acts in.
    public let tenant: TenantID

    /// The agent calling, when the request came on its own subject (NATS
    /// credentials vouch for it); nil for platform callers.
    public var callerAgent: String? { envelope.callerAgent }

    /// Refuses an agent acting for another agent: a request on an agent's
    /// subject may only name that agent. Platform callers may name any.
    public func requireCaller(is agentID: String, field: String = "agent_id") throws(ErrorReply) {
        try envelope.requireCaller(is: agentID, field: field)
    }
}

extension Envelope {
    /// `RequestContext.requireCaller` for handlers that read the envelope themselves.
    public func requireCaller(is agentID: String, field: String = "agent_id") throws(ErrorReply) {
        guard let caller = callerAgent, caller != agentID else { return }
        throw ErrorReply(code: .permissionDenied, message: "agent '\(caller)' may not act as '\(agentID.prefix(130))'", field: field)
    }
}

extension RPCService.Method {
    /// A method whose request and reply are contract types. The tenant and the
    /// payload are validated before `handler` runs; a validation failure is an
    /// `invalid_argument` reply naming the field.
    public static func typed<Request: ProtoConvertible, Reply: ProtoConvertible>(
        _ subject: String, _ request: Request.Type,
        handler: @escaping @Sendable (Request, RequestContext) async throws -> Reply
    ) -> Self {
        Self(subject) { envelope in
            let (payload, context) = try decodeRequest(envelope, as: Request.self)
            do {
                return try envelope.reply(with: await handler(payload, context))
            } catch let error as StoreError where error.isRetriable {
                // The database is down or restarting: the caller should retry.
                throw ErrorReply(code: ErrorReply.Code.unavailable, message: "the service's database is unavailable", retriable: true)
            }
        }
    }
}

extension RPCService.Method {
    /// A method whose request and reply are contract messages read by name
    /// (`ProtoSchema`), for services whose domain types live in their own core
    /// module. The tenant and the payload's wire form are checked before
    /// `handler` runs; the handler validates the rest.
    public static func message(
        _ subject: String, request: String,
        handler: @escaping @Sendable (ProtoMessage, RequestContext) async throws -> ProtoMessage
    ) -> Self {
        Self(subject) { envelope in
            let payload: ProtoMessage, context: RequestContext
            do throws(EnvelopeError) {
                context = RequestContext(envelope: envelope, tenant: try envelope.tenantID())
                payload = try ProtoSchema.decode(request, from: envelope.payload)
            } catch {
                throw ErrorReply(invalid: error)
            }
            do {
                let reply = try await handler(payload, context)
                return envelope.caused(type: reply.name, payload: try ProtoSchema.encode(reply))
            } catch let error as StoreError where error.isRetriable {
                throw ErrorReply(code: .unavailable, message: "the service's database is unavailable", retriable: true)
            }
        }
    }
}

/// Validates an RPC request; errors are the `ErrorReply` to send.
public func decodeRequest<Request: ProtoConvertible>(_ envelope: Envelope, as type: Request.Type) throws(ErrorReply) -> (Request, RequestContext) {
    do {
        let tenant = try envelope.tenantID()
        return (try envelope.payload(as: Request.self), RequestContext(envelope: envelope, tenant: tenant))
    } catch {
        throw ErrorReply(invalid: error)
    }
}

extension Envelope {
    /// The reply to this request: its type is the payload's protobuf name, and
    /// it keeps the request's tenant, correlation and trace.
    public func reply<Payload: ProtoConvertible>(with payload: Payload) throws -> Envelope {
        caused(type: Payload.protoName, payload: try payload.encoded())
    }
}
