import Dispatch
import NIOPosix
import Synchronization

/// A pool of hiredis contexts, each leased to one call at a time, with every
/// hiredis call on the pool's own threads. A context that hit an I/O error is
/// dropped, so commands after a Redis restart reconnect by themselves.
public final class RedisPool: Sendable {
    public let configuration: RedisConfiguration
    private let threads: NIOThreadPool
    private let state = Mutex(State())

    private struct State {
        var idle: [RedisContext] = []
        var open = 0
        var nextWaiter: UInt64 = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
    }

    public init(_ configuration: RedisConfiguration) {
        self.configuration = configuration
        threads = NIOThreadPool(numberOfThreads: max(configuration.poolSize, 1))
        threads.start()
    }

    /// Runs one command, for example `["SET", key, value]`. A Redis error reply throws `.server`.
    @discardableResult
    public func command(_ arguments: [any RedisArgument]) async throws -> RedisValue {
        try await pipeline([arguments])[0].get()
    }

    /// Runs several commands in one round trip; each result stands alone.
    public func pipeline(_ commands: [[any RedisArgument]]) async throws -> [Result<RedisValue, CacheError>] {
        let encoded = commands.map { $0.map(\.redisBytes) }
        let context = try await acquire()
        let result: Result<[Result<RedisValue, CacheError>], CacheError> = await withCheckedContinuation { continuation in
            threads.submit { _ in continuation.resume(returning: Result { () throws(CacheError) in try context.run(encoded) }) }
        }
        release(context)
        return try result.get()
    }

    /// `pipeline` for code already on a thread of its own (a blocking
    /// responder): the commands run on the calling thread, which saves the hop
    /// to the pool's threads. When no context is idle the caller opens one, so
    /// the pool may hold one extra context per such thread.
    public func pipelineBlocking(_ commands: [[any RedisArgument]]) throws(CacheError) -> [Result<RedisValue, CacheError>] {
        let encoded = commands.map { $0.map(\.redisBytes) }
        let idle = state.withLock { $0.idle.popLast() }
        let context: RedisContext
        if let idle { context = idle } else { context = try openBlocking() }
        defer { release(context) }
        return try context.run(encoded)
    }

    private func openBlocking() throws(CacheError) -> RedisContext {
        state.withLock { $0.open += 1 }
        do {
            return try RedisContext(configuration)
        } catch {
            state.withLock { $0.open -= 1 }
            throw error
        }
    }

    public func shutdown() async {
        state.withLock { $0.idle.removeAll() }
        try? await threads.shutdownGracefully()
    }

    private func acquire() async throws -> RedisContext {
        let deadline = ContinuousClock.now + configuration.acquireTimeout
        while true {
            enum Next { case use(RedisContext), open, wait }
            let next = state.withLock { s -> Next in
                if let context = s.idle.popLast() { return .use(context) }
                if s.open < configuration.poolSize { s.open += 1; return .open }
                return .wait
            }
            switch next {
            case .use(let context): return context
            case .open:
                let configuration = self.configuration
                let result: Result<RedisContext, CacheError> = await withCheckedContinuation { continuation in
                    threads.submit { _ in continuation.resume(returning: Result { () throws(CacheError) in try RedisContext(configuration) }) }
                }
                do { return try result.get() } catch {
                    state.withLock { $0.open -= 1 }
                    throw error
                }
            case .wait:
                let remaining = ContinuousClock.now.duration(to: deadline)
                guard remaining > .zero else { throw CacheError(.timeout, "no Redis connection free within \(configuration.acquireTimeout)") }
                // Woken by a release, or at the deadline; either way the loop looks again.
                await withCheckedContinuation { continuation in
                    let id = state.withLock { s -> UInt64? in
                        if !s.idle.isEmpty || s.open < configuration.poolSize { return nil }
                        s.nextWaiter += 1
                        s.waiters.append((s.nextWaiter, continuation))
                        return s.nextWaiter
                    }
                    guard let id else { continuation.resume(); return }
                    DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(remaining / .nanoseconds(1)))) {
                        let expired = self.state.withLock { s -> CheckedContinuation<Void, Never>? in
                            guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                            return s.waiters.remove(at: index).continuation
                        }
                        expired?.resume()
                    }
                }
            }
        }
    }

    private func release(_ context: RedisContext) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if context.isBroken { s.open -= 1 } else { s.idle.append(context) }
            return s.waiters.isEmpty ? nil : s.waiters.removeFirst().continuation
        }
        waiter?.resume()
    }
}
