import Foundation
@testable import MissionsCore
import Testing

@Suite struct ScheduleDeciderTests {
    static let minute: Int64 = 60_000_000_000
    static let t0: Int64 = 1_796_472_000_000_000_000  // 2026-12-05T10:40:00Z, a whole minute
    static func spec(_ overlap: OverlapPolicy = .skip, catchUp: Int = 90) -> ScheduleSpec {
        ScheduleSpec(cron: try! CronExpression("* * * * *"), timeZone: TimeZone(identifier: "UTC")!, overlap: overlap, catchUpWindowSeconds: catchUp)
    }

    @Test func aDueFiringStartsAndTheNextIsTheFollowingMinute() {
        let plan = ScheduleDecider.plan(Self.spec(), nextFireAt: Self.t0, buffered: nil, previousRunning: false, now: Self.t0 + 1_000_000)
        #expect(plan.firings == [.init(at: Self.t0, outcome: .started, cancelsPrevious: false)])
        #expect(plan.next == Self.t0 + Self.minute && plan.buffered == nil)
        let early = ScheduleDecider.plan(Self.spec(), nextFireAt: Self.t0, buffered: nil, previousRunning: false, now: Self.t0 - 1)
        #expect(early.firings.isEmpty && early.next == Self.t0)
    }

    @Test func firingsMissedWhileDownStartLateWithinTheWindowAndAreSkippedBeyondIt() {
        // Down for five minutes: firings at t0 ... t0+5m, seen at t0+5m+10s with a 90 s window.
        let now = Self.t0 + 5 * Self.minute + 10_000_000_000
        let plan = ScheduleDecider.plan(Self.spec(.allowAll), nextFireAt: Self.t0, buffered: nil, previousRunning: false, now: now)
        #expect(plan.firings.map(\.outcome) == [.skippedMissed, .skippedMissed, .skippedMissed, .skippedMissed, .started, .started])
        #expect(plan.next == Self.t0 + 6 * Self.minute)
        let none = ScheduleDecider.plan(Self.spec(catchUp: 0), nextFireAt: Self.t0, buffered: nil, previousRunning: false, now: now)
        #expect(none.firings.allSatisfy { $0.outcome == .skippedMissed })
    }

    @Test func eachOverlapPolicyWhileThePreviousRunGoes() {
        func outcomes(_ policy: OverlapPolicy) -> ScheduleDecider.Plan {
            ScheduleDecider.plan(Self.spec(policy), nextFireAt: Self.t0, buffered: nil, previousRunning: true, now: Self.t0 + Self.minute + 1)
        }
        #expect(outcomes(.skip).firings.map(\.outcome) == [.skippedOverlap, .skippedOverlap])
        let buffer = outcomes(.bufferOne)
        #expect(buffer.firings.map(\.outcome) == [.buffered, .skippedOverlap] && buffer.buffered == Self.t0)
        #expect(outcomes(.allowAll).firings.map(\.outcome) == [.started, .started])
        let cancel = outcomes(.cancelPrevious)
        #expect(cancel.firings.map(\.outcome) == [.started, .started] && cancel.firings.allSatisfy(\.cancelsPrevious))
    }

    @Test func aBufferedFiringStartsOnceThePreviousRunEnded() {
        let waiting = ScheduleDecider.plan(Self.spec(.bufferOne), nextFireAt: Self.t0 + Self.minute, buffered: Self.t0, previousRunning: true,
                                           now: Self.t0 + 30_000_000_000)
        #expect(waiting.firings.isEmpty && waiting.buffered == Self.t0)
        let ended = ScheduleDecider.plan(Self.spec(.bufferOne), nextFireAt: Self.t0 + Self.minute, buffered: Self.t0, previousRunning: false,
                                         now: Self.t0 + 30_000_000_000)
        #expect(ended.firings == [.init(at: Self.t0, outcome: .started, cancelsPrevious: false)] && ended.buffered == nil)
    }

    @Test func aTriggerFollowsTheOverlapPolicy() {
        #expect(ScheduleDecider.trigger(Self.spec(.skip), buffered: nil, previousRunning: false, now: 5).outcome == .started)
        #expect(ScheduleDecider.trigger(Self.spec(.skip), buffered: nil, previousRunning: true, now: 5).outcome == .skippedOverlap)
        #expect(ScheduleDecider.trigger(Self.spec(.cancelPrevious), buffered: nil, previousRunning: true, now: 5).cancelsPrevious)
    }

    @Test func aScheduleDownForLongJumpsAheadWithoutRecordingEveryMinute() {
        let now = Self.t0 + 10_000 * Self.minute
        let plan = ScheduleDecider.plan(Self.spec(), nextFireAt: Self.t0, buffered: nil, previousRunning: false, now: now)
        #expect(plan.firings.count == ScheduleDecider.maxFiringsPerPass)
        #expect(plan.next == now + Self.minute - (now % Self.minute == 0 ? 0 : now % Self.minute) || plan.next == now + Self.minute)
        #expect(plan.next! > now)
    }
}
