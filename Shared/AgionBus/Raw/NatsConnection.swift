import CNats
import Logging

/// Owns one `natsConnection`. cnats connections are thread-safe, so one is shared
/// by every task of a process; callbacks arrive on cnats threads.
final class NatsConnection: @unchecked Sendable {
    // @unchecked: the pointers are written once in init and freed once in deinit;
    // cnats serialises access to the connection internally.
    let raw: OpaquePointer
    private let options: OpaquePointer
    private let events: Unmanaged<ConnectionEvents>

    init(_ configuration: BusConfiguration, logger: Logger) throws(BusError) {
        var options: OpaquePointer?
        try check(natsOptions_Create(&options), "natsOptions_Create")
        guard let options else { throw BusError(.io, "natsOptions_Create returned nothing") }
        let events = Unmanaged.passRetained(ConnectionEvents(logger: logger, configuration: configuration))
        do throws(BusError) {
            let closure = events.toOpaque()
            try check(natsOptions_SetURL(options, configuration.url), "natsOptions_SetURL")
            try check(natsOptions_SetName(options, configuration.name), "natsOptions_SetName")
            try check(natsOptions_SetSendAsap(options, configuration.sendAsap), "natsOptions_SetSendAsap")
            try check(natsOptions_SetMaxReconnect(options, -1), "natsOptions_SetMaxReconnect")
            try check(natsOptions_SetCustomReconnectDelay(options, reconnectDelay, closure), "natsOptions_SetCustomReconnectDelay")
            try check(natsOptions_SetReconnectBufSize(options, Int32(configuration.reconnectBufferBytes)), "natsOptions_SetReconnectBufSize")
            try check(natsOptions_SetTimeout(options, configuration.connectTimeout.milliseconds), "natsOptions_SetTimeout")
            try check(natsOptions_SetDisconnectedCB(options, onDisconnected, closure), "natsOptions_SetDisconnectedCB")
            try check(natsOptions_SetReconnectedCB(options, onReconnected, closure), "natsOptions_SetReconnectedCB")
            try check(natsOptions_SetClosedCB(options, onClosed, closure), "natsOptions_SetClosedCB")
            try check(natsOptions_SetErrorHandler(options, onAsyncError, closure), "natsOptions_SetErrorHandler")
            if configuration.retryOnFailedConnect {
                try check(natsOptions_SetRetryOnFailedConnect(options, true, onReconnected, closure), "natsOptions_SetRetryOnFailedConnect")
            }
            var connection: OpaquePointer?
            try check(natsConnection_Connect(&connection, options), "connect to \(configuration.url)")
            guard let connection else { throw BusError(.connectionFailed, "connect returned no connection") }
            self.raw = connection
        } catch {
            natsOptions_Destroy(options)
            events.release()
            throw error
        }
        self.options = options
        self.events = events
    }

    deinit {
        // Closing joins cnats' threads: do it off the cooperative pool. `events`
        // is released by the closed callback, the last one cnats makes.
        let raw = UncheckedPointer(self.raw), options = UncheckedPointer(self.options)
        BlockingPool.shared.submit { _ in
            natsConnection_Destroy(raw.pointer)
            natsOptions_Destroy(options.pointer)
        }
    }

    var isConnected: Bool { natsConnection_Status(raw) == NATS_CONN_STATUS_CONNECTED }
    var isClosed: Bool { natsConnection_IsClosed(raw) }
}

/// What the connection callbacks need; retained for the connection's lifetime.
private final class ConnectionEvents: Sendable {
    let logger: Logger
    let baseDelay: Int64
    let maxDelay: Int64

    init(logger: Logger, configuration: BusConfiguration) {
        self.logger = logger
        self.baseDelay = max(configuration.reconnectDelay.milliseconds, 1)
        self.maxDelay = max(configuration.maxReconnectDelay.milliseconds, baseDelay)
    }
}

private func events(_ closure: UnsafeMutableRawPointer?) -> ConnectionEvents {
    Unmanaged<ConnectionEvents>.fromOpaque(closure!).takeUnretainedValue()
}

/// Exponential backoff with full jitter, capped, so a fleet does not reconnect in step.
private func reconnectDelay(_ nc: OpaquePointer?, _ attempts: Int32, _ closure: UnsafeMutableRawPointer?) -> Int64 {
    let e = events(closure)
    let exponent = min(Int64(max(attempts, 1) - 1), 20)
    let ceiling = min(e.baseDelay << exponent, e.maxDelay)
    return Int64.random(in: (ceiling / 2)...ceiling)
}

private func onDisconnected(_ nc: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    // A deliberate close also passes through here: only a lost connection warns.
    if natsConnection_IsClosed(nc) || natsConnection_IsDraining(nc) {
        events(closure).logger.debug("nats.disconnected")
    } else {
        events(closure).logger.warning("nats.disconnected")
    }
}

private func onReconnected(_ nc: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    var buffer = [CChar](repeating: 0, count: 256)
    let url = natsConnection_GetConnectedUrl(nc, &buffer, buffer.count) == NATS_OK
        ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    events(closure).logger.info("nats.connected", metadata: ["nats.url": "\(url)"])
}

private func onClosed(_ nc: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    events(closure).logger.info("nats.closed")
    Unmanaged<ConnectionEvents>.fromOpaque(closure!).release()
}

private func onAsyncError(_ nc: OpaquePointer?, _ sub: OpaquePointer?, _ status: natsStatus, _ closure: UnsafeMutableRawPointer?) {
    events(closure).logger.error("nats.async_error", metadata: ["nats.status": "\(String(cString: natsStatus_GetText(status)))"])
}
