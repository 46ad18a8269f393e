import AgionEnvelope

extension Bus {
    /// Sends a typed request in `tenant` and decodes the typed reply. Error
    /// replies throw `BusError` (`.remote` with the `ErrorReply`). Here, not
    /// in the service runtime, so clients (the SDK, tools) use it too.
    public func call<Request: ProtoConvertible, Reply: ProtoConvertible>(
        _ subject: String, _ request: Request, tenant: String, as reply: Reply.Type, timeout: Duration = .seconds(5)
    ) async throws -> Reply {
        let envelope = Envelope(type: Request.protoName, tenant: tenant, payload: try request.encoded())
        return try await self.request(subject, envelope, timeout: timeout).payload(as: Reply.self)
    }
}
