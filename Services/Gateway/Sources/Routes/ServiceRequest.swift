import AgionBus
import AgionEnvelope

/// A request a gateway route makes to a service itself (the routes that are
/// more than one call: the mission stream, step outputs): the caller's
/// request id and trace go with it, and its failure comes back as the
/// Problem the client gets.
enum ServiceRequest {
    static func send(_ message: ProtoMessage, to subject: String, service: String, tenant: String, bus: Bus, timeout: Duration,
                     context: GatewayContext) async throws -> Envelope {
        var envelope = Envelope(type: message.name, tenant: tenant, payload: try ProtoSchema.encode(message))
        envelope.correlationID = context.requestID
        envelope.traceparent = context.traceparent.description
        do {
            return try await bus.request(subject, envelope, timeout: timeout)
        } catch let error as BusError {
            throw Problem(error, service: service)
        }
    }
}
