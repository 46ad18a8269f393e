import AgionContract
import AgionEnvelope
import AgionJSON
import Foundation
import MissionsCore

/// Execution's reports (`AGION_EXECUTION`) as mission commands. A report
/// that does not decode throws `EnvelopeError`, which dead-letters it.
enum AttemptReports {
    static func command(_ envelope: Envelope) throws(EnvelopeError) -> (mission: UUID, command: MissionCommand)? {
        switch envelope.type {
        case ExecutionSubjects.EventType.attemptStarted:
            let report = try ProtoSchema.decode("agion.v1.AttemptStarted", from: envelope.payload)
            return (try missionID(report), .attemptStarted(step: report.string("step_id"), attempt: Int(report.int("attempt")), agent: try AgentID(report.string("agent_id"))))
        case ExecutionSubjects.EventType.attemptFinished:
            let report = try ProtoSchema.decode("agion.v1.AttemptFinished", from: envelope.payload)
            let usage = Usage(proto: report.message("usage"))
            let result: AttemptOutcome.Result
            switch report.int("result") {
            case 1: result = .succeeded(output: report.json("output"), usage: usage)
            case 2:
                result = .failed(StepError(proto: report.message("error"), defaultCode: "failed"), usage: usage)
            case 3:
                result = .awaitingApproval(reasons: report.list("approval_reasons").compactMap(\.string),
                                           requirement: ApprovalRequirement(proto: report.message("approval")))
            default: throw EnvelopeError(.invalidField, "unknown result \(report.int("result"))", field: "result")
            }
            return (try missionID(report), .attemptFinished(AttemptOutcome(step: report.string("step_id"), attempt: Int(report.int("attempt")),
                                                                        agent: try AgentID(report.string("agent_id")), result: result,
                                                                        latencyMillis: report.double("latency_ms"))))
        default:
            return nil  // A newer execution's event: not ours to interpret.
        }
    }

    private static func missionID(_ report: ProtoMessage) throws(EnvelopeError) -> UUID {
        guard let id = UUID(uuidString: report.string("mission_id")) else { throw EnvelopeError(.invalidField, "not a mission id", field: "mission_id") }
        return id
    }
}
