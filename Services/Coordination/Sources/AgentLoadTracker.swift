import AgionContract
import AgionEnvelope
import Foundation
import MissionsCore
import Synchronization

/// This replica's view of every agent's load (`AgentLoad`): the attempts it
/// gives out, and what every execution replica reports on `AGION_EXECUTION`
/// (heard as a broadcast, so every coordinator hears every report, while the
/// durable consumer gives each report to one of them).
final class AgentLoadTracker: Sendable {
    private let load = Mutex(AgentLoad())
    private let lastExpiry = Atomic<Int64>(0)
    /// An attempt whose end is not heard of counts this long past its timeout.
    static let grace: Int64 = 30 * 1_000_000_000

    /// Counts the attempts a decision just gave out.
    func gaveOut(_ events: [MissionEvent], mission: String, now: Int64 = Envelope.nowUnixNanos()) {
        let scheduled = events.compactMap { event -> MissionEvent.StepScheduled? in
            if case .stepScheduled(let scheduled) = event { scheduled } else { nil }
        }
        guard !scheduled.isEmpty else { return }
        load.withLock { load in
            for step in scheduled {
                load.began(.init(mission: mission, step: step.step, attempt: step.attempt), agent: step.agent,
                           expires: now + Int64(step.timeoutSeconds) * 1_000_000_000 + Self.grace)
            }
        }
        expireIfDue(now)
    }

    /// An execution report, heard as a broadcast. Reports that do not decode
    /// are the durable consumer's to dead-letter; here they are ignored.
    func heard(_ envelope: Envelope, now: Int64 = Envelope.nowUnixNanos()) {
        switch envelope.type {
        case ExecutionSubjects.EventType.attemptStarted:
            guard let report = try? ProtoSchema.decode("agion.v1.AttemptStarted", from: envelope.payload),
                  let agent = try? AgentID(report.string("agent_id")) else { return }
            let deadline = report.int("deadline_unix_nanos")
            load.withLock {
                $0.began(Self.attempt(report), agent: agent, expires: (deadline > 0 ? deadline : now + 600 * 1_000_000_000) + Self.grace)
            }
        case ExecutionSubjects.EventType.attemptFinished:
            guard let report = try? ProtoSchema.decode("agion.v1.AttemptFinished", from: envelope.payload) else { return }
            load.withLock { $0.ended(Self.attempt(report)) }
        default:
            return
        }
        expireIfDue(now)
    }

    /// `book` with each candidate's attempts in flight.
    func weigh(_ book: AgentBook) -> AgentBook {
        load.withLock { load in
            var book = book
            for (capability, candidates) in book.byCapability {
                book.byCapability[capability] = candidates.map { var c = $0; c.inFlight = load.inFlight(c.id); return c }
            }
            for (id, candidate) in book.byID {
                var weighed = candidate
                weighed.inFlight = load.inFlight(id)
                book.byID[id] = weighed
            }
            return book
        }
    }

    func inFlight(_ agent: AgentID) -> Int { load.withLock { $0.inFlight(agent) } }

    private static func attempt(_ report: ProtoMessage) -> AgentLoad.Attempt {
        AgentLoad.Attempt(mission: report.string("mission_id"), step: report.string("step_id"), attempt: Int(report.int("attempt")))
    }

    /// Sweeps expired attempts about once a second (not on every report).
    private func expireIfDue(_ now: Int64) {
        let last = lastExpiry.load(ordering: .relaxed)
        guard now - last > 1_000_000_000, lastExpiry.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged else { return }
        load.withLock { $0.expire(now: now) }
    }
}
