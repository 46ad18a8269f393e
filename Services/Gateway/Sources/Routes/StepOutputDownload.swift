import AgionBus
import AgionContract
import AgionEnvelope
import AgionJSON
import AgionRuntime
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /v1/missions/{mission_id}/steps/{step_id}/output`: what a step
/// answered, as JSON. A small output is in the mission's view and comes from
/// there; a stored one (`OutputReference` in the view) is streamed from the
/// output store chunk by chunk, never held whole by the gateway, with its
/// length and `Agion-Output-Digest`; its digest is checked as it is read (a
/// mismatch cuts the response short of its Content-Length). 404 for no such
/// mission or step, or no output yet; 410 once the tenant's retention
/// deleted a stored output (the history keeps its digest).
struct StepOutputDownload: Sendable {
    let bus: Bus
    let timeout: Duration
    let store: OutputStore
    static let digestHeader = HTTPField.Name("Agion-Output-Digest")!

    func handle(credential: Credential, context: GatewayContext) async throws -> Response {
        guard let id = try context.pathParameter("mission_id"), let mission = UUID(uuidString: id) else {
            throw Problem(.invalidRequest, "a mission id is a UUID", field: "mission_id")
        }
        guard let step = try context.pathParameter("step_id"), !step.isEmpty, step.utf8.count <= 128 else {
            throw Problem(.invalidRequest, "a step id is 1 to 128 characters", field: "step_id")
        }
        let missionID = mission.lowercasedString
        let output = try await self.output(of: step, mission: missionID, tenant: credential.tenant, context: context)
        guard let reference = OutputReference(output) else {
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: output.serialized)))
        }
        do {
            guard try await store.contains(reference, tenant: credential.tenant, mission: missionID) else {
                throw Problem(.gone, "step \(step)'s output (\(reference.digest), \(reference.size) bytes) was deleted by the tenant's retention; "
                              + "its digest stays in the mission's history")
            }
        } catch let error as BusError {
            throw Problem(error, service: "output store")
        }
        let chunks = store.chunks(reference, tenant: credential.tenant, mission: missionID)
        return Response(status: .ok, headers: [.contentType: "application/json", .contentLength: String(reference.size),
                                               Self.digestHeader: reference.digest],
                        body: ResponseBody { writer in
                            for try await chunk in chunks { try await writer.write(ByteBuffer(bytes: chunk)) }
                            try await writer.finish(nil)
                        })
    }

    /// The step's output as the mission's view has it (a stored one as its reference).
    private func output(of step: String, mission: String, tenant: String, context: GatewayContext) async throws -> JSONValue {
        let request = ProtoMessage("agion.v1.GetMissionRequest", ["mission_id": .string(mission)])
        let reply = try await ServiceRequest.send(request, to: CoordinationSubjects.get, service: "coordination", tenant: tenant, bus: bus,
                                                  timeout: timeout, context: context)
        guard case .object(let view) = ProtoJSON.json(try ProtoSchema.decode("agion.v1.Mission", from: reply.payload)),
              case .array(let steps)? = view["steps"],
              case .object(let found)? = steps.first(where: { if case .object(let f) = $0 { f["id"] == .string(step) } else { false } }) else {
            throw Problem(.notFound, "mission \(mission) has no step \(step)", field: "step_id")
        }
        guard let output = found["output"], output != .null else {
            throw Problem(.notFound, "step \(step) has no output (it has not succeeded)", field: "step_id")
        }
        return output
    }
}
