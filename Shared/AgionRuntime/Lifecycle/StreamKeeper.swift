import AgionBus
import Logging
import ServiceLifecycle

/// Declares the service's streams and consumers again each time its NATS
/// connection comes back. A server restarted with its data keeps them (and
/// declaring is create-or-update, so this costs a few requests); one that
/// comes back empty (memory storage, a lost volume, a new cluster) gets them
/// back before consumers and publishers notice more than a failed fetch.
struct StreamKeeper: Service {
    let runtime: ServiceRuntime

    func run() async throws {
        let reconnections = runtime.bus.link.reconnections()
        await cancelWhenGracefulShutdown {
            for await _ in reconnections {
                await redeclare()
            }
        }
    }

    /// Retries for a while: JetStream answers "temporarily unavailable" for
    /// a moment after the server starts, while it recovers its streams.
    private func redeclare() async {
        let declared = runtime.declared
        guard !declared.streams.isEmpty || !declared.consumers.isEmpty else { return }
        var delay: Duration = .milliseconds(100)
        for attempt in 1...20 {
            do {
                try await runtime.bus.jetStream.provision(streams: declared.streams, consumers: declared.consumers)
                runtime.logger.info("service.streams_redeclared", metadata: ["streams": "\(declared.streams.count)",
                                                                             "consumers": "\(declared.consumers.count)"])
                return
            } catch {
                if attempt == 20 || Task.isCancelled {
                    runtime.logger.error("service.streams_redeclare_failed", metadata: ["error": "\(error)"])
                    return
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(3))
            }
        }
    }
}
