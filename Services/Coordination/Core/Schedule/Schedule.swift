import Foundation

/// When a schedule starts its mission, and what happens when a firing
/// comes while the previous run still goes or while the services were down.
public struct ScheduleSpec: Hashable, Sendable {
    public var cron: CronExpression
    public var timeZone: TimeZone
    public var overlap: OverlapPolicy
    /// A firing missed (the services were down) starts late if it is at most
    /// this old when seen; an older one is skipped.
    public var catchUpWindowSeconds: Int

    public init(cron: CronExpression, timeZone: TimeZone, overlap: OverlapPolicy = .skip, catchUpWindowSeconds: Int = ScheduleSpec.defaultCatchUpSeconds) {
        self.cron = cron
        self.timeZone = timeZone
        self.overlap = overlap
        self.catchUpWindowSeconds = catchUpWindowSeconds
    }

    public static let defaultCatchUpSeconds = 60
    /// A day: older firings are history, not work to do.
    public static let catchUpSeconds: ClosedRange<Int> = 0...86_400

    /// The first firing strictly after `unixNanos`, if the expression ever fires again.
    public func next(after unixNanos: Int64) -> Int64? {
        cron.next(after: Date(timeIntervalSince1970: Double(unixNanos) / 1e9 + 0.000_001), in: timeZone)
            .map { Int64(($0.timeIntervalSince1970 * 1_000).rounded()) * 1_000_000 }
    }
}

/// What a firing does while the schedule's previous mission still runs.
public enum OverlapPolicy: String, Hashable, Sendable, CaseIterable {
    /// The firing is skipped.
    case skip
    /// The firing waits for the previous run to end, then starts; one waits at most (later ones are skipped).
    case bufferOne = "buffer_one"
    /// It starts anyway: runs overlap.
    case allowAll = "allow_all"
    /// The previous run is cancelled and the firing starts.
    case cancelPrevious = "cancel_previous"
}

/// What became of one firing.
public enum FiringOutcome: String, Hashable, Sendable, CaseIterable {
    case started
    /// The previous run was still going (overlap `skip`, or a second buffered one).
    case skippedOverlap = "skipped_overlap"
    /// Missed while the services were down, and older than the catch-up window.
    case skippedMissed = "skipped_missed"
    /// Waits for the previous run to end (overlap `buffer_one`).
    case buffered
}

/// The rules of a schedule's firings, as a pure function of its state and
/// the time: the coordination service claims a due schedule, asks, starts
/// the missions (each with the idempotency key of its firing, so a firing
/// handled twice after a crash starts one mission) and stores the result.
public enum ScheduleDecider {
    public struct Plan: Hashable, Sendable {
        public struct Firing: Hashable, Sendable {
            public var at: Int64
            public var outcome: FiringOutcome
            /// Cancel the schedule's running mission first (overlap `cancel_previous`).
            public var cancelsPrevious: Bool
        }

        public var firings: [Firing] = []
        /// The firing left waiting for the running mission to end, if any.
        public var buffered: Int64?
        /// When to look again; nil if the expression never fires again.
        public var next: Int64?
    }

    /// Firings handled per pass at most: a schedule down for a year does not
    /// record every missed minute in one go (the rest are counted as skipped).
    public static let maxFiringsPerPass = 500

    /// What is due at `now` for a schedule whose next firing was `nextFireAt`,
    /// with a firing perhaps `buffered`, and its last mission running or not.
    public static func plan(_ spec: ScheduleSpec, nextFireAt: Int64?, buffered: Int64?, previousRunning: Bool, now: Int64) -> Plan {
        var due: [Int64] = []
        var cursor = nextFireAt
        while let at = cursor, at <= now, due.count < maxFiringsPerPass {
            due.append(at)
            cursor = spec.next(after: at)
        }
        var plan = Plan()
        // Missed beyond what one pass handles: jump to the future.
        plan.next = cursor.map { $0 > now ? $0 : spec.next(after: now) } ?? nil
        var running = previousRunning
        plan.buffered = buffered
        if let waiting = buffered, !running {
            plan.firings.append(.init(at: waiting, outcome: .started, cancelsPrevious: false))
            plan.buffered = nil
            running = true
        }
        let window = Int64(spec.catchUpWindowSeconds) * 1_000_000_000
        for at in due {
            let outcome: FiringOutcome
            var cancels = false
            if now - at > window {
                outcome = .skippedMissed
            } else if !running {
                outcome = .started
            } else {
                switch spec.overlap {
                case .skip: outcome = .skippedOverlap
                case .bufferOne:
                    outcome = plan.buffered == nil ? .buffered : .skippedOverlap
                    if outcome == .buffered { plan.buffered = at }
                case .allowAll: outcome = .started
                case .cancelPrevious:
                    outcome = .started
                    cancels = true
                }
            }
            if outcome == .started { running = true }
            plan.firings.append(.init(at: at, outcome: outcome, cancelsPrevious: cancels))
        }
        return plan
    }

    /// A firing on request ("trigger now"): the overlap policy applies as to any firing.
    public static func trigger(_ spec: ScheduleSpec, buffered: Int64?, previousRunning: Bool, now: Int64) -> Plan.Firing {
        guard previousRunning else { return .init(at: now, outcome: .started, cancelsPrevious: false) }
        switch spec.overlap {
        case .skip: return .init(at: now, outcome: .skippedOverlap, cancelsPrevious: false)
        case .bufferOne: return .init(at: now, outcome: buffered == nil ? .buffered : .skippedOverlap, cancelsPrevious: false)
        case .allowAll: return .init(at: now, outcome: .started, cancelsPrevious: false)
        case .cancelPrevious: return .init(at: now, outcome: .started, cancelsPrevious: true)
        }
    }

    /// The idempotency key of the mission a firing starts: one mission per firing.
    public static func missionKey(schedule: String, firing: Int64) -> String { "schedule:\(schedule):\(firing)" }
}
