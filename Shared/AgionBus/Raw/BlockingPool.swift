import NIOPosix

/// Threads for cnats calls that block (sync JetStream publish, provisioning,
/// drain waits), so they never run on Swift's cooperative pool.
enum BlockingPool {
    static let shared: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 8)
        pool.start()
        return pool
    }()
}

extension NIOThreadPool {
    /// Runs a blocking closure on the pool and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            self.submit { _ in continuation.resume(returning: body()) }
        }
    }
}
