import Logging
import NIOPosix
import Synchronization

/// Listens for PostgreSQL NOTIFYs on a connection and a thread of its own, and
/// reconnects with backoff when the connection breaks.
public final class NotificationListener: Sendable {
    private let configuration: StoreConfiguration
    private let channels: [String]
    private let logger: Logger
    private let thread: NIOThreadPool
    private let stopped = Atomic<Bool>(false)

    /// - Parameter channels: lower-case identifiers (`[a-z_][a-z0-9_]*`).
    public init(_ configuration: StoreConfiguration, channels: [String], logger: Logger) throws {
        for channel in channels where channel.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) == nil {
            throw StoreError(.invalidInput, "channel \(channel) must match [a-z_][a-z0-9_]* (at most 63 characters)")
        }
        self.configuration = configuration
        self.channels = channels
        self.logger = logger
        self.thread = NIOThreadPool(numberOfThreads: 1)
    }

    /// Calls `onNotify` with the channel of every notification until `stop()`.
    /// Also calls it once after each (re)connect, since notifications sent while
    /// disconnected are lost: the receiver should look for work then.
    public func run(onNotify: @escaping @Sendable (String) -> Void) async {
        thread.start()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            thread.submit { _ in
                self.loop(onNotify)
                done.resume()
            }
        }
        try? await thread.shutdownGracefully()
    }

    /// Ends `run` within half a second.
    public func stop() { stopped.store(true, ordering: .relaxed) }

    private func loop(_ onNotify: @Sendable (String) -> Void) {
        var failures = 0
        while !stopped.load(ordering: .relaxed) {
            do {
                let connection = try PostgresConnection(configuration, logger: logger)
                for channel in channels { _ = try connection.execute("LISTEN \"\(channel)\"", [], prepare: false) }
                failures = 0
                channels.forEach(onNotify)
                while !stopped.load(ordering: .relaxed) {
                    for channel in try connection.waitForNotifications(timeoutMilliseconds: 500) { onNotify(channel) }
                }
            } catch {
                failures += 1
                logger.warning("postgres.listen_failed", metadata: ["error": "\(error)", "attempt": "\(failures)"])
                // Backoff in small steps so stop() is still honoured quickly.
                let pause = min(100 << min(failures, 5), 3_000)
                var waited = 0
                while waited < pause && !stopped.load(ordering: .relaxed) {
                    usleep(50_000)
                    waited += 50
                }
            }
        }
    }
}

import Glibc
