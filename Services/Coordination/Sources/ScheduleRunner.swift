import AgionContract
import AgionEnvelope
import Foundation
import Logging
import Metrics
import MissionsCore
import ServiceLifecycle
import Synchronization

/// Fires schedules on every replica: claims the due ones under a lease,
/// asks `ScheduleDecider` what their firings do, starts each firing's
/// mission with the firing's idempotency key (one mission per firing, however
/// many replicas or restarts see it), cancels the previous run when the
/// overlap policy says so, and records every firing with the schedule's new
/// state. Also answers "trigger now".
final class ScheduleRunner: Service, Sendable {
    let store: ScheduleStore
    let missions: MissionRunner
    let pollInterval: Duration
    let logger: Logger
    private let started = Counter(label: "agion_schedule_missions_started_total")
    private let skipped = Counter(label: "agion_schedule_firings_skipped_total")

    static let lease: Duration = .seconds(30)

    init(store: ScheduleStore, missions: MissionRunner, pollInterval: Duration, logger: Logger) {
        self.store = store
        self.missions = missions
        self.pollInterval = pollInterval
        self.logger = logger
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await self.sweep()
                } catch {
                    self.logger.warning("coordination.schedule_sweep_failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: self.pollInterval)
            }
        }
    }

    func sweep() async throws {
        try await sweep(tenant: nil, now: Envelope.nowUnixNanos())
        for (tenant, offset) in missions.clock.skewed { try await sweep(tenant: tenant, now: Envelope.nowUnixNanos() + offset) }
    }

    private func sweep(tenant: String?, now: Int64) async throws {
        while true {
            let due = try await store.claimDue(now: now, lease: Self.lease, limit: 16, tenant: tenant)
            for schedule in due {
                do {
                    try await fire(schedule, now: missions.clock.now(tenant: schedule.tenant))
                } catch {
                    // Left claimed: another pass takes it after the lease, and its missions are keyed by firing.
                    logger.warning("coordination.schedule_failed", metadata: ["schedule.id": "\(schedule.id)", "error": "\(error)"])
                }
            }
            if due.count < 16 { return }
        }
    }

    /// Handles what is due for a claimed schedule.
    private func fire(_ schedule: ScheduleStore.Row, now: Int64) async throws {
        let running = try await previousRunning(schedule)
        let plan = ScheduleDecider.plan(schedule.spec, nextFireAt: schedule.nextFireAt, buffered: schedule.buffered, previousRunning: running, now: now)
        var last = schedule.lastMission
        var recorded: [ScheduleStore.Recorded] = []
        for firing in plan.firings {
            var mission: UUID?
            if firing.outcome == .started {
                mission = try await start(schedule, at: firing.at, cancelling: firing.cancelsPrevious ? last : nil)
                last = mission ?? last
            } else if firing.outcome != .buffered {
                skipped.increment()
            }
            recorded.append(.init(at: firing.at, outcome: firing.outcome, mission: mission))
        }
        if !(try await store.complete(schedule, next: plan.next, buffered: plan.buffered, lastMission: last, firings: recorded, now: now)) {
            logger.info("coordination.schedule_lease_lost", metadata: ["schedule.id": "\(schedule.id)"])
        }
    }

    /// Starts a firing now, the overlap policy applied; the firing as recorded.
    func trigger(_ id: UUID, tenant: String) async throws -> (ProtoMessage, ScheduleStore.Row)? {
        let now = missions.clock.now(tenant: tenant)
        guard let schedule = try await store.claim(id, tenant: tenant, now: now, lease: Self.lease) else {
            guard try await store.get(id, tenant: tenant) != nil else { return nil }
            throw ErrorReply(code: .unavailable, message: "the schedule is firing right now; try again in a moment", retriable: true)
        }
        let firing = ScheduleDecider.trigger(schedule.spec, buffered: schedule.buffered, previousRunning: try await previousRunning(schedule), now: now)
        var mission: UUID?
        if firing.outcome == .started {
            mission = try await start(schedule, at: now, cancelling: firing.cancelsPrevious ? schedule.lastMission : nil, manual: true)
        }
        let buffered = firing.outcome == .buffered ? now : schedule.buffered
        guard try await store.complete(schedule, next: schedule.nextFireAt, buffered: buffered, lastMission: mission ?? schedule.lastMission,
                                       firings: [.init(at: now, outcome: firing.outcome, mission: mission, manual: true)], now: now) else {
            throw ErrorReply(code: .unavailable, message: "the schedule changed while it was triggered; look at it again", retriable: true)
        }
        let record = ProtoMessage("agion.v1.ScheduleFiring", [
            "schedule_id": .string(id.lowercasedString), "fire_at_unix_nanos": .int(now), "outcome": .string(firing.outcome.rawValue),
            "mission_id": .string(mission?.lowercasedString ?? ""), "recorded_at_unix_nanos": .int(now), "manual": .bool(true),
        ])
        return (record, try await store.get(id, tenant: tenant) ?? schedule)
    }

    private func previousRunning(_ schedule: ScheduleStore.Row) async throws -> Bool {
        guard let last = schedule.lastMission, let state = try await missions.store.load(last, tenant: schedule.tenant) else { return false }
        return !state.status.isFinal
    }

    /// Starts the mission of the firing at `at` (once: keyed by the firing),
    /// cancelling `previous` first if the overlap policy said so.
    private func start(_ schedule: ScheduleStore.Row, at: Int64, cancelling previous: UUID?, manual: Bool = false) async throws -> UUID {
        var cause = Envelope(type: "agion.schedules.firing", tenant: schedule.tenant)
        cause.headers["agion-subject"] = "schedule:" + schedule.id.lowercasedString
        if let previous {
            let reason = "schedule \(schedule.id.lowercasedString) fired again (overlap: cancel_previous)"
            _ = try await missions.handle(.cancel(by: "schedule:" + schedule.id.lowercasedString, reason: reason), mission: previous,
                                          tenant: schedule.tenant, cause: cause)
        }
        guard let template = schedule.settings.message("definition") else {
            throw ErrorReply(code: .internalError, message: "schedule \(schedule.id) has no template", retriable: false)
        }
        let definition: MissionDefinition
        do throws(DefinitionError) { definition = try MissionDefinition.parse(proto: template, nowUnixNanos: at) } catch {
            throw ErrorReply(code: .internalError, message: "schedule \(schedule.id)'s template no longer parses: \(error)", retriable: false)
        }
        let key = manual ? "schedule:\(schedule.id.lowercasedString):manual:\(at)" : ScheduleDecider.missionKey(schedule: schedule.id.lowercasedString, firing: at)
        let state = try await missions.submit(definition, idempotencyKey: key, tenant: schedule.tenant, submittedBy: schedule.createdBy, cause: cause)
        started.increment()
        return UUID(uuidString: state.id)!
    }
}
