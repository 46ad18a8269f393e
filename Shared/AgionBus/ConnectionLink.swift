import Synchronization

/// The history of one NATS connection that callers outside cnats need: since
/// when it has been down (for `/ready` to say why), and a signal each time it
/// comes back (so a service can re-declare its streams on a server that lost
/// them). Updated from cnats' connection callbacks.
public final class ConnectionLink: Sendable {
    private struct State {
        var downSince: ContinuousClock.Instant?
        var connections: UInt64 = 0
        var listeners: [UInt64: @Sendable () -> Void] = [:]
        var nextListener: UInt64 = 0
        var disconnectHandlers: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    init() {}

    /// How long the connection has been down, or nil while it is up.
    public var downFor: Duration? { state.withLock { $0.downSince.map { ContinuousClock.now - $0 } } }

    /// How many times the connection was established (the first time included).
    public var connections: UInt64 { state.withLock { $0.connections } }

    /// A signal per (re)connection, from now on. Ends when the task iterating it
    /// is cancelled; never blocks cnats (the stream keeps only the newest signal).
    public func reconnections() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state -> UInt64 in
            state.nextListener += 1
            state.listeners[state.nextListener] = { continuation.yield() }
            return state.nextListener
        }
        continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.listeners.removeValue(forKey: id) } }
        return stream
    }

    /// Runs `handler` on cnats' thread each time the connection is lost (not
    /// when it is closed on purpose); it must not block.
    func whenDisconnected(_ handler: @escaping @Sendable () -> Void) {
        state.withLock { $0.disconnectHandlers.append(handler) }
    }

    func markDisconnected() {
        let handlers = state.withLock { state -> [@Sendable () -> Void] in
            if state.downSince == nil { state.downSince = .now }
            return state.disconnectHandlers
        }
        handlers.forEach { $0() }
    }

    /// Records a (re)connection and tells the listeners; returns how long the
    /// connection was down (nil for a first connection made at once).
    @discardableResult
    func markConnected() -> Duration? {
        let (outage, listeners) = state.withLock { state in
            let outage = state.downSince.map { ContinuousClock.now - $0 }
            state.downSince = nil
            state.connections += 1
            return (outage, Array(state.listeners.values))
        }
        listeners.forEach { $0() }
        return outage
    }
}
