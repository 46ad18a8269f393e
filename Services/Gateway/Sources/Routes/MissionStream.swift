import AgionBus
import AgionContract
import AgionEnvelope
import AgionJSON
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /v1/missions/{mission_id}/stream`: a mission's events as server-sent
/// events, as they happen. Each event's SSE id is its position in the
/// mission's stream, so a client that reconnects with `Last-Event-ID` misses
/// nothing and sees nothing twice: the gateway subscribes to the mission's
/// events first, then sends the history after that position (coordination's
/// `events`), then the live ones, skipping any it already sent and reading
/// any gap from the history again. The stream ends after the final event;
/// a comment every 15 s keeps proxies from closing an idle one.
///
/// Between them come the **live** updates of running steps (tokens, "50%
/// done", partial outputs; `event: step_progress`, `"live": true`), relayed
/// by execution on `agion.missions.live.<tenant>.<mission>`. They carry no
/// SSE id: they are not stored, so a reconnecting client gets the durable
/// events it missed and the live updates from then on.
struct MissionStream: Sendable {
    let bus: Bus
    let timeout: Duration
    static let keepAlive: Duration = .seconds(15)
    static let finalEvents: Set<String> = ["succeeded", "failed", "cancelled", "timed_out"]
    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    func handle(credential: Credential, request: Request, context: GatewayContext) async throws -> Response {
        guard let id = try context.pathParameter("mission_id"), let mission = UUID(uuidString: id) else {
            throw Problem(.invalidRequest, "a mission id is a UUID", field: "mission_id")
        }
        let missionID = mission.lowercasedString
        var after: Int64 = 0
        if let header = request.headers[Self.lastEventID] {
            guard let position = Int64(header.trimmingCharacters(in: .whitespaces)), position >= 0 else {
                throw Problem(.invalidRequest, "Last-Event-ID is the position of the last event received", field: "Last-Event-ID")
            }
            after = position
        }
        let tenant = credential.tenant, start = after
        // Subscribed before the history is read: nothing published in between is lost.
        let live = try bus.subscribe(CoordinationSubjects.eventSubject(tenant: tenant, mission: missionID))
        let progress: Broadcast
        do {
            progress = try bus.subscribe(CoordinationSubjects.liveSubject(tenant: tenant, mission: missionID))
        } catch {
            live.close()
            throw error
        }
        let first: (events: [ProtoMessage], last: Int64)
        do {
            first = try await history(missionID, tenant: tenant, after: after, context: context)
        } catch {
            live.close()
            progress.close()
            throw error
        }
        let stream = self
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: ResponseBody { writer in
            defer {
                live.close()
                progress.close()
            }
            var sent = start
            func send(_ events: [ProtoMessage], _ writer: inout any ResponseBodyWriter) async throws -> Bool {
                for event in events where event.int("position") > sent {
                    sent = event.int("position")
                    try await writer.write(Self.frame(event))
                    if Self.finalEvents.contains(event.string("name")) { return true }
                }
                return false
            }
            if try await send(first.events, &writer) { return try await writer.finish(nil) }
            // Catch up if the first page did not reach the end.
            while sent < first.last {
                let page = try await stream.history(missionID, tenant: tenant, after: sent, context: context)
                if page.events.isEmpty { break }
                if try await send(page.events, &writer) { return try await writer.finish(nil) }
            }
            for await item in Self.merge(live, progress, keepAlive: Self.keepAlive) {
                switch item {
                case .keepAlive:
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                case .live(let envelope):
                    guard let update = try? ProtoSchema.decode("agion.v1.StepProgress", from: envelope.payload) else { continue }
                    try await writer.write(Self.liveFrame(update))
                case .event(let envelope):
                    guard let event = try? ProtoSchema.decode("agion.v1.MissionEvent", from: envelope.payload) else { continue }
                    var events = [event]
                    if event.int("position") > sent + 1 {
                        // A gap (a message this subscriber missed): read it from the history.
                        events = try await stream.history(missionID, tenant: tenant, after: sent, context: context).events
                    }
                    if try await send(events, &writer) { return try await writer.finish(nil) }
                }
            }
            try await writer.finish(nil)
        })
    }

    /// One page of the mission's history after `after`; a Problem when the
    /// tenant has no such mission or coordination cannot answer.
    func history(_ mission: String, tenant: String, after: Int64, context: GatewayContext) async throws -> (events: [ProtoMessage], last: Int64) {
        let request = ProtoMessage("agion.v1.MissionEventsRequest", ["mission_id": .string(mission), "after_position": .int(after), "limit": .uint(500)])
        let reply = try await ServiceRequest.send(request, to: CoordinationSubjects.events, service: "coordination", tenant: tenant, bus: bus,
                                                  timeout: timeout, context: context)
        let response = try ProtoSchema.decode("agion.v1.MissionEventsResponse", from: reply.payload)
        return (response.list("events").compactMap(\.message), response.int("last_position"))
    }

    /// `id: <position>`, `event: <name>`, `data: <the event as JSON>`.
    static func frame(_ event: ProtoMessage) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("id: \(event.int("position"))\nevent: \(event.string("name"))\ndata: ")
        buffer.writeBytes(ProtoJSON.json(event).serialized)
        buffer.writeString("\n\n")
        return buffer
    }

    /// `event: step_progress`, `data: <the update as JSON, with "live": true>`, no id.
    static func liveFrame(_ update: ProtoMessage) -> ByteBuffer {
        var json = ProtoJSON.json(update)
        if case .object(var fields) = json {
            fields["live"] = true
            json = .object(fields)
        }
        var buffer = ByteBuffer()
        buffer.writeString("event: step_progress\ndata: ")
        buffer.writeBytes(json.serialized)
        buffer.writeString("\n\n")
        return buffer
    }

    enum Item: Sendable {
        case event(Envelope)
        case live(Envelope)
        case keepAlive
    }

    /// The durable events, the live updates and a keep-alive tick, as one sequence.
    static func merge(_ events: Broadcast, _ live: Broadcast, keepAlive: Duration) -> AsyncStream<Item> {
        AsyncStream { continuation in
            let updates = Task {
                for await envelope in live { continuation.yield(.live(envelope)) }
            }
            let events = Task {
                for await envelope in events { continuation.yield(.event(envelope)) }
                continuation.finish()
            }
            let ticks = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: keepAlive)
                    continuation.yield(.keepAlive)
                }
            }
            continuation.onTermination = { _ in
                events.cancel()
                updates.cancel()
                ticks.cancel()
            }
        }
    }
}
