import AgionEnvelope
import CNats
import Dispatch
import Logging
import Synchronization

/// Owns one `natsConnection`. cnats connections are thread-safe, so one is shared
/// by every task of a process; callbacks arrive on cnats threads.
final class NatsConnection: @unchecked Sendable {
    // @unchecked: the pointers are written once in init and freed once in deinit;
    // cnats serialises access to the connection internally.
    let raw: OpaquePointer
    private let options: OpaquePointer
    /// Also retained once for cnats' callbacks (released by the closed callback).
    private let events: ConnectionEvents
    /// Handed back before it was up (retry-on-failed-connect: no server yet).
    let startedUnconnected: Bool

    init(_ configuration: BusConfiguration, logger: Logger) throws(BusError) {
        var options: OpaquePointer?
        try check(natsOptions_Create(&options), "natsOptions_Create")
        guard let options else { throw BusError(.io, "natsOptions_Create returned nothing") }
        let events = ConnectionEvents(logger: logger, configuration: configuration)
        let retained = Unmanaged.passRetained(events)
        do throws(BusError) {
            let closure = retained.toOpaque()
            // natsOptions_SetURL takes one URL: a list ("nats://a:4222,nats://b:4222",
            // a NATS cluster) is a server pool, which only SetServers sets (one
            // URL given to SetURL never connected, and nothing said why).
            let urls = BusConfiguration.serverURLs(configuration.url)
            if urls.count > 1 {
                let servers = CStringArray(urls)
                try check(natsOptions_SetServers(options, servers.pointers, Int32(servers.count)), "natsOptions_SetServers")
            } else {
                try check(natsOptions_SetURL(options, configuration.url), "natsOptions_SetURL")
            }
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
            if let credentials = configuration.credentialsFile {
                try check(natsOptions_SetUserCredentialsFromFiles(options, credentials, nil), "natsOptions_SetUserCredentialsFromFiles(\(credentials))")
            }
            if let prefix = configuration.inboxPrefix {
                try check(natsOptions_SetCustomInboxPrefix(options, prefix), "natsOptions_SetCustomInboxPrefix")
            }
            if configuration.retryOnFailedConnect {
                try check(natsOptions_SetRetryOnFailedConnect(options, true, onReconnected, closure), "natsOptions_SetRetryOnFailedConnect")
            }
            var connection: OpaquePointer?
            // Down until the first connection: with retry-on-failed-connect the
            // connected callback may run before Connect returns.
            events.link.markDisconnected()
            let status = natsConnection_Connect(&connection, options)
            // With retry-on-failed-connect, a server that is not up yet is not a
            // failure: cnats hands back a live connection that keeps trying in the
            // background (and calls our callbacks meanwhile, so `events` must stay).
            if status == NATS_NOT_YET_CONNECTED, configuration.retryOnFailedConnect, connection != nil {
                logger.warning("nats.not_yet_connected", metadata: ["nats.url": "\(configuration.url)"])
                startedUnconnected = true
            } else {
                startedUnconnected = false
                try check(status, "connect to \(configuration.url)")
                events.link.markConnected()
            }
            guard let connection else { throw BusError(.connectionFailed, "connect returned no connection") }
            self.raw = connection
        } catch {
            natsOptions_Destroy(options)
            retained.release()
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

    /// When the connection was lost and how many times it came back.
    var link: ConnectionLink { events.link }
    var isClosed: Bool { natsConnection_IsClosed(raw) }

    /// For a connection handed back before it was up: whether cnats closed it
    /// before it ever connected, watched for `window`. A server that refuses
    /// the credentials (as one still loading the account does, see
    /// `Bus.connect`) gets no retry from cnats' background connect: it closes.
    func closedBeforeConnecting(within window: Duration) async -> Bool {
        guard startedUnconnected else { return false }
        let end = ContinuousClock.now + window
        while ContinuousClock.now < end {
            if isClosed { return true }
            if isConnected { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return isClosed
    }

    /// The largest message the server takes (its `max_payload`), in bytes.
    var maxPayload: Int { Int(natsConnection_GetMaxPayload(raw)) }

    /// Returns once cnats reports the connection closed (after a drain), or at `deadline`.
    func waitUntilClosed(deadline: ContinuousClock.Instant) async {
        await events.waitUntilClosed(deadline: deadline)
    }
}

/// What the connection callbacks need; retained for the connection's lifetime.
private final class ConnectionEvents: Sendable {
    let logger: Logger
    let link = ConnectionLink()
    let baseDelay: Int64
    let maxDelay: Int64
    private let closed = Mutex<(done: Bool, waiters: [UInt64: CheckedContinuation<Void, Never>], next: UInt64)>((false, [:], 0))

    func markClosed() {
        let waiters = closed.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.done = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        waiters.forEach { $0.resume() }
    }

    func waitUntilClosed(deadline: ContinuousClock.Instant) async {
        await withCheckedContinuation { continuation in
            let id = closed.withLock { state -> UInt64? in
                if state.done { return nil }
                state.next += 1
                state.waiters[state.next] = continuation
                return state.next
            }
            guard let id else { continuation.resume(); return }
            let delay = max(ContinuousClock.now.duration(to: deadline), .zero)
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(delay.milliseconds))) {
                self.closed.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
            }
        }
    }

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
        events(closure).link.markDisconnected()
        events(closure).logger.warning("nats.disconnected")
    }
}

private func onReconnected(_ nc: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    var buffer = [CChar](repeating: 0, count: 256)
    let url = natsConnection_GetConnectedUrl(nc, &buffer, buffer.count) == NATS_OK
        ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    let e = events(closure)
    let outage = e.link.markConnected()
    e.logger.info("nats.connected", metadata: ["nats.url": "\(url)", "nats.outage_ms": "\(outage.map { $0.milliseconds } ?? 0)"])
}

private func onClosed(_ nc: OpaquePointer?, _ closure: UnsafeMutableRawPointer?) {
    let e = events(closure)
    e.logger.info("nats.closed")
    e.markClosed()
    Unmanaged<ConnectionEvents>.fromOpaque(closure!).release()
}

private func onAsyncError(_ nc: OpaquePointer?, _ sub: OpaquePointer?, _ status: natsStatus, _ closure: UnsafeMutableRawPointer?) {
    events(closure).logger.error("nats.async_error", metadata: ["nats.status": "\(String(cString: natsStatus_GetText(status)))"])
}
