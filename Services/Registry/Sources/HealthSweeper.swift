import Logging
import ServiceLifecycle

/// Turns overdue heartbeats into `unhealthy` and then `offline`, on every
/// replica every `interval`; the store's advisory lock lets one sweep at a time,
/// so a replica that dies mid-sweep is simply replaced by the next one's turn.
struct HealthSweeper: Service {
    let store: AgentStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        // cancelWhenGracefulShutdown ends the sleep at shutdown; a sweep in
        // progress is one short transaction and is allowed to finish.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let changed = try await store.sweep()
                    if changed > 0 { logger.info("registry.health_swept", metadata: ["agents": "\(changed)"]) }
                } catch {
                    logger.warning("registry.sweep_failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
