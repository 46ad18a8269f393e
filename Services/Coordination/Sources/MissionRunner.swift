import AgionBus
import AgionContract
import AgionEnvelope
import AgionRuntime
import Foundation
import Logging
import Metrics
import MissionsCore

/// Moves missions on: load the projection, ask the decider, append its
/// events with optimistic concurrency, and on a conflict (another replica
/// appended first) do it all again on the new state. Every entry point
/// (submissions, execution's reports, timers, cancellations) comes here.
struct MissionRunner: Sendable {
    let store: MissionStore
    let agents: AgentCatalog
    let bus: Bus
    let logger: Logger
    let clock: MissionClock
    let limits: TenantLimits
    /// Tells the dispatcher attempts were queued or ended.
    let dispatchWakeup: @Sendable () -> Void
    /// Tells the timer sweeper a timer is due soon.
    let timerWakeup: @Sendable (Int64) -> Void
    private let conflicts = Counter(label: "agion_mission_append_conflicts_total")
    private let cache = MissionStateCache()

    init(store: MissionStore, agents: AgentCatalog, bus: Bus, logger: Logger, clock: MissionClock, limits: TenantLimits,
         dispatchWakeup: @escaping @Sendable () -> Void, timerWakeup: @escaping @Sendable (Int64) -> Void) {
        self.clock = clock
        self.limits = limits
        self.dispatchWakeup = dispatchWakeup
        self.store = store
        self.agents = agents
        self.bus = bus
        self.logger = logger
        self.timerWakeup = timerWakeup
    }

    static let maxAttempts = 20

    /// Submits a mission; a repeated idempotency key gets the first mission back.
    func submit(_ definition: MissionDefinition, idempotencyKey: String, tenant: String, submittedBy: String, cause: Envelope) async throws -> MissionState {
        if !idempotencyKey.isEmpty, let existing = try await store.load(idempotencyKey: idempotencyKey, tenant: tenant) { return existing }
        let limit = limits.limits(for: tenant).maxRunningMissions
        if limit > 0, try await store.runningMissions(tenant: tenant) >= limit {
            // Soft: replicas admitting at the same instant may pass it by a few.
            throw ErrorReply(code: .resourceExhausted, message: "the tenant has \(limit) running missions, its limit; submit again when one has ended",
                             retriable: true)
        }
        let id = UUIDv7.make().lowercasedString
        let draft = MissionState(id: id, submitted: .init(definition: definition, idempotencyKey: idempotencyKey, submittedAtUnixNanos: 0,
                                                         deadlineUnixNanos: nil))
        let book = await agents.book(for: draft, tenant: tenant)
        let decided = MissionDecider(now: clock.now(tenant: tenant), agents: book).submit(id: id, definition: definition, idempotencyKey: idempotencyKey,
                                                                                          submittedBy: submittedBy)
        let write = MissionEffects.write(decided.events, before: nil, after: decided.state, book: book, tenant: tenant, cause: cause)
        guard try await store.create(decided.state, tenant: tenant, write: write) else {
            // A concurrent submission with the same key won: return its mission.
            guard let existing = try await store.load(idempotencyKey: idempotencyKey, tenant: tenant) else {
                throw ErrorReply(code: .conflict, message: "a mission with this idempotency key is being created; retry", retriable: true)
            }
            return existing
        }
        cache.put(decided.state, tenant: tenant)
        after(write, state: decided.state, tenant: tenant)
        return decided.state
    }

    /// Applies `command` to the tenant's mission; nil when there is no such mission.
    @discardableResult
    func handle(_ command: MissionCommand, mission: UUID, tenant: String, cause: Envelope?) async throws -> MissionState? {
        try await decide(command, mission: mission, tenant: tenant, cause: cause)?.state
    }

    /// `handle`, telling also what it appended (nothing when the command
    /// changed nothing on the state it was decided on).
    func decide(_ command: MissionCommand, mission: UUID, tenant: String, cause: Envelope?) async throws -> (state: MissionState, events: [MissionEvent])? {
        for attempt in 0..<Self.maxAttempts {
            // The first try may start from the state this replica wrote last;
            // after a conflict, from the database.
            let cached = attempt == 0 ? cache.get(mission, tenant: tenant) : nil
            guard let state = try await cached.asyncOr({ try await store.load(mission, tenant: tenant) }) else { return nil }
            // A replay reschedules steps of a mission that is final until it applies.
            let needsAgents = !state.status.isFinal || { if case .replay = command { true } else { false } }()
            let book = needsAgents ? await agents.book(for: state, tenant: tenant, reopening: command) : AgentBook()
            let decided = MissionDecider(now: clock.now(tenant: tenant), agents: book).handle(command, state: state)
            guard !decided.events.isEmpty else {
                // Nothing to do on a cached state may be a stale view (a report
                // ahead of it): look at the stored one before saying so.
                if cached != nil { continue }
                return (state, [])
            }
            let write = MissionEffects.write(decided.events, before: state, after: decided.state, book: book, tenant: tenant, cause: cause)
            if try await store.append(decided.state, tenant: tenant, expected: state.position, write: write) {
                cache.put(decided.state, tenant: tenant)
                after(write, state: decided.state, tenant: tenant)
                return (decided.state, decided.events)
            }
            cache.forget(mission)
            if cached == nil { conflicts.increment() }
        }
        throw ErrorReply(code: .unavailable, message: "mission \(mission) is changing too fast to update; retry", retriable: true)
    }

    /// Effects that follow a commit: wake the timer sweeper for a timer due
    /// soon, and tell execution to stop the attempts of a mission that ended
    /// with steps still out (cancelled).
    private func after(_ write: MissionStore.Write, state: MissionState, tenant: String) {
        agents.load.gaveOut(write.events.map(\.event), mission: state.id)
        if !write.queued.isEmpty || !write.released.isEmpty || !write.releasedSteps.isEmpty || write.releaseAll { dispatchWakeup() }
        if let soonest = write.timers.map(\.dueAt).min() { timerWakeup(soonest) }
        if write.events.contains(where: { if case .stepCancelled = $0.event { true } else { false } }) {
            do {
                try bus.publish(ExecutionSubjects.cancelSubject, Envelope(type: "agion.execution.cancel", tenant: tenant, payload: Array(state.id.utf8)))
            } catch {
                // The attempts then run to their end; their reports change nothing.
                logger.warning("coordination.cancel_broadcast_failed", metadata: ["mission.id": "\(state.id)", "error": "\(error)"])
            }
        }
    }
}
