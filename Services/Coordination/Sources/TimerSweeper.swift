import AgionEnvelope
import AgionStore
import Foundation
import Logging
import MissionsCore
import ServiceLifecycle
import Synchronization

/// Fires due mission timers (step retries, deadlines) on every replica: each
/// claims a due timer for a lease (so one replica fires it), turns it into a
/// command, and removes it unless the decision set it again. Sleeps until the
/// next due timer, at most `pollInterval`; a replica that sets a timer due
/// sooner wakes it.
final class TimerSweeper: Service, Sendable {
    let store: MissionStore
    let pollInterval: Duration
    let clock: MissionClock
    let logger: Logger
    private let wakeup = Wakeup()
    private let runner = Mutex<MissionRunner?>(nil)

    /// How long a claimed timer is left alone before another replica fires it.
    static let lease: Duration = .seconds(30)

    init(store: MissionStore, pollInterval: Duration, clock: MissionClock, logger: Logger) {
        self.store = store
        self.pollInterval = pollInterval
        self.clock = clock
        self.logger = logger
    }

    /// The runner the timers go to (made after the sweeper, which it wakes).
    func attach(_ runner: MissionRunner) { self.runner.withLock { $0 = runner } }

    /// A timer was set for `dueAt`: look again then if that is sooner.
    func timerSet(dueAt: Int64) {
        if dueAt - Envelope.nowUnixNanos() < Int64(pollInterval / .nanoseconds(1)) { wakeup.signal() }
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await self.sweep()
                } catch {
                    self.logger.warning("coordination.timer_sweep_failed", metadata: ["error": "\(error)"])
                }
                await self.wakeup.wait(timeout: try await self.sleep())
            }
        }
    }

    private func sleep() async throws -> Duration {
        guard let next = try? await store.nextDue() else { return pollInterval }
        let until = Duration.nanoseconds(max(next - Envelope.nowUnixNanos(), 1_000_000))
        return min(until, pollInterval)
    }

    func sweep() async throws {
        guard let runner = runner.withLock({ $0 }) else { return }
        try await sweep(runner, tenant: nil, now: Envelope.nowUnixNanos())
        // Tenants whose time a test moved on: their timers by their time.
        for (tenant, offset) in clock.skewed { try await sweep(runner, tenant: tenant, now: Envelope.nowUnixNanos() + offset) }
    }

    /// The command a timer kind stands for (`deadline`, `retry:<step>`, `approval:<step>`).
    static func command(_ kind: String) -> MissionCommand? {
        if kind == "deadline" { return .deadlineDue }
        if kind.hasPrefix("retry:") { return .retryDue(step: String(kind.dropFirst("retry:".count))) }
        if kind.hasPrefix("approval:") { return .approvalDue(step: String(kind.dropFirst("approval:".count))) }
        return nil
    }

    private func sweep(_ runner: MissionRunner, tenant: String?, now: Int64) async throws {
        while true {
            let due = try await store.claimDueTimers(now: now, lease: Self.lease, limit: 64, tenant: tenant)
            for timer in due {
                guard let command = Self.command(timer.kind) else {
                    // A newer replica's timer: leave it to one that knows it.
                    logger.warning("coordination.unknown_timer", metadata: ["mission.id": "\(timer.mission)", "timer": "\(timer.kind)"])
                    continue
                }
                do {
                    try await runner.handle(command, mission: timer.mission, tenant: timer.tenant, cause: nil)
                    try await store.release(timer.mission, kind: timer.kind, claimedDue: timer.claimedDue)
                } catch {
                    // Left claimed: it fires again after the lease.
                    logger.warning("coordination.timer_failed", metadata: ["mission.id": "\(timer.mission)", "timer": "\(timer.kind)", "error": "\(error)"])
                }
            }
            if due.count < 64 { return }
        }
    }
}
