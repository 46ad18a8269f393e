import AgionContract
import AgionEnvelope
import AgionRuntime
import Foundation
import MissionsCore

/// Coordination's schedule methods (the gateway maps `/v1/schedules` onto them).
struct ScheduleHandlers: Sendable {
    let store: ScheduleStore
    let runner: ScheduleRunner
    let clock: MissionClock

    var methods: [RPCService.Method] {
        [
            .message(CoordinationSubjects.createSchedule, request: "agion.v1.CreateScheduleRequest") { request, context in
                let tenant = context.tenant.value
                let now = clock.now(tenant: tenant)
                let (settings, spec) = try ScheduleSettings.validated(request.message("schedule"), now: now)
                guard let next = spec.next(after: now) else {
                    throw ErrorReply(code: .invalidArgument, message: "'\(spec.cron)' never fires (no such date within five years)", field: "cron")
                }
                let paused = request.message("schedule")?.bool("paused") ?? false
                return try await store.create(id: UUIDv7.make(), tenant: tenant, settings: settings, nextFireAt: next, paused: paused,
                                              createdBy: context.envelope.headers["agion-subject"] ?? "", now: now).view
            },
            .message(CoordinationSubjects.getSchedule, request: "agion.v1.ScheduleRequest") { request, context in
                let id = try Self.scheduleID(request)
                guard let row = try await store.get(id, tenant: context.tenant.value) else { throw Self.notFound(id) }
                return row.view
            },
            .message(CoordinationSubjects.listSchedules, request: "agion.v1.ListSchedulesRequest") { request, context in
                let pageSize = min(max(Int(request.int("page_size")), 0), 500)
                let size = pageSize == 0 ? 50 : pageSize
                var after: (Int64, UUID)?
                if let parts = try PageToken.parts(request.string("page_token"), count: 2) {
                    guard let created = Int64(parts[0]), let id = UUID(uuidString: parts[1]) else { throw PageToken.invalidToken }
                    after = (created, id)
                }
                let rows = try await store.list(tenant: context.tenant.value, pageSize: size + 1, after: after)
                let page = rows.prefix(size)
                let next = rows.count > size ? PageToken.after([String(page.last!.createdAt), page.last!.id.lowercasedString]) : ""
                return ProtoMessage("agion.v1.ListSchedulesResponse", ["schedules": .list(page.map { .message($0.view) }), "next_page_token": .string(next)])
            },
            .message(CoordinationSubjects.pauseSchedule, request: "agion.v1.ScheduleRequest") { request, context in
                try await setPaused(request, context, paused: true)
            },
            .message(CoordinationSubjects.resumeSchedule, request: "agion.v1.ScheduleRequest") { request, context in
                try await setPaused(request, context, paused: false)
            },
            .message(CoordinationSubjects.triggerSchedule, request: "agion.v1.ScheduleRequest") { request, context in
                let id = try Self.scheduleID(request)
                guard let (firing, _) = try await runner.trigger(id, tenant: context.tenant.value) else { throw Self.notFound(id) }
                return firing
            },
            .message(CoordinationSubjects.deleteSchedule, request: "agion.v1.ScheduleRequest") { request, context in
                let id = try Self.scheduleID(request)
                guard let row = try await store.delete(id, tenant: context.tenant.value) else { throw Self.notFound(id) }
                return row.view
            },
            .message(CoordinationSubjects.scheduleFirings, request: "agion.v1.ListScheduleFiringsRequest") { request, context in
                let id = try Self.scheduleID(request)
                guard try await store.get(id, tenant: context.tenant.value) != nil else { throw Self.notFound(id) }
                let pageSize = min(max(Int(request.int("page_size")), 0), 1_000)
                let size = pageSize == 0 ? 100 : pageSize
                var before: Int64?
                if let parts = try PageToken.parts(request.string("page_token"), count: 1) {
                    guard let at = Int64(parts[0]) else { throw PageToken.invalidToken }
                    before = at
                }
                let firings = try await store.firings(id, pageSize: size + 1, before: before)
                let page = firings.prefix(size)
                let next = firings.count > size ? PageToken.after([String(page.last!.int("fire_at_unix_nanos"))]) : ""
                return ProtoMessage("agion.v1.ListScheduleFiringsResponse", ["firings": .list(page.map { .message($0) }), "next_page_token": .string(next)])
            },
        ]
    }

    private func setPaused(_ request: ProtoMessage, _ context: RequestContext, paused: Bool) async throws -> ProtoMessage {
        let id = try Self.scheduleID(request)
        let tenant = context.tenant.value
        guard let current = try await store.get(id, tenant: tenant) else { throw Self.notFound(id) }
        let now = clock.now(tenant: tenant)
        // Resumed: from the next time on; what fell due while paused is not run.
        let next = paused ? current.nextFireAt : current.spec.next(after: now)
        guard let row = try await store.setPaused(id, tenant: tenant, paused: paused, nextFireAt: next, now: now) else { throw Self.notFound(id) }
        return row.view
    }

    static func scheduleID(_ request: ProtoMessage) throws -> UUID {
        guard let id = UUID(uuidString: request.string("schedule_id")) else {
            throw ErrorReply(code: .invalidArgument, message: "a schedule id is a UUID", field: "schedule_id")
        }
        return id
    }

    static func notFound(_ id: UUID) -> ErrorReply {
        ErrorReply(code: .notFound, message: "no schedule \(id.lowercasedString) in this tenant", field: "schedule_id")
    }
}
