import Foundation
@testable import MissionsCore
import Testing

@Suite struct CronExpressionTests {
    static let utc = TimeZone(identifier: "UTC")!
    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
    static func iso(_ date: Date?, _ zone: TimeZone = utc) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = zone
        return date.map { formatter.string(from: $0) } ?? "never"
    }

    @Test(arguments: [
        ("*/15 * * * *", "2026-12-05T10:07:00Z", "2026-12-05T10:15:00Z"),
        ("0 9 * * mon-fri", "2026-12-05T10:00:00Z", "2026-12-07T09:00:00Z"),     // a Saturday: Monday
        ("30 2 1 * *", "2026-12-05T10:00:00Z", "2027-01-01T02:30:00Z"),
        ("0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"),
        ("0 12 13 * fri", "2026-12-05T10:00:00Z", "2026-12-11T12:00:00Z"),        // either day field: Friday the 11th
        ("5/20 * * * *", "2026-12-05T10:06:00Z", "2026-12-05T10:25:00Z"),
        ("0 0 * * 7", "2026-12-05T10:00:00Z", "2026-12-06T00:00:00Z"),            // 7 is Sunday
        ("0 0 * JAN,Jul *", "2026-12-05T10:00:00Z", "2027-01-01T00:00:00Z"),
        ("* * * * *", "2026-12-05T10:00:00Z", "2026-12-05T10:01:00Z"),            // strictly after
    ])
    func nextFiringInUTC(expression: String, after: String, expected: String) throws {
        #expect(Self.iso(try CronExpression(expression).next(after: Self.date(after), in: Self.utc)) == expected)
    }

    @Test func wallTimesInAZoneAcrossDaylightSavingChanges() throws {
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        let daily = try CronExpression("30 2 * * *")
        // 2027-03-28: clocks go from 02:00 to 03:00, so 02:30 does not exist that day.
        let spring = daily.next(after: Self.date("2027-03-27T12:00:00Z"), in: berlin)
        #expect(Self.iso(spring) == "2027-03-29T00:30:00Z", "skipped on the day it does not exist")
        // 2027-10-31: 02:30 happens twice; it fires once, at the first.
        let autumn = try #require(daily.next(after: Self.date("2027-10-30T12:00:00Z"), in: berlin))
        #expect(Self.iso(autumn) == "2027-10-31T00:30:00Z")
        #expect(Self.iso(daily.next(after: autumn, in: berlin)) == "2027-11-01T01:30:00Z")
        let nine = try CronExpression("0 9 * * *").next(after: Self.date("2026-12-05T10:00:00Z"), in: TimeZone(identifier: "America/New_York")!)
        #expect(Self.iso(nine) == "2026-12-05T14:00:00Z")
    }

    @Test(arguments: [
        ("* * * *", "cron"), ("60 * * * *", "minute"), ("* 24 * * *", "hour"), ("* * 0 * *", "day_of_month"),
        ("* * * 13 *", "month"), ("* * * * 8", "day_of_week"), ("*/0 * * * *", "minute"), ("5-1 * * * *", "minute"),
        ("* * * foo *", "month"), ("1,,2 * * * *", "minute"), ("a * * * *", "minute"),
    ])
    func invalidExpressionsNameTheirField(expression: String, field: String) {
        #expect(throws: CronExpression.ParseError.self) { try CronExpression(expression) }
        do { _ = try CronExpression(expression) } catch { #expect(error.field == field, "\(expression): \(error)") }
    }

    @Test func anExpressionThatNeverFiresHasNoNext() throws {
        #expect(try CronExpression("0 0 31 2 *").next(after: Self.date("2026-12-05T10:00:00Z"), in: Self.utc) == nil)
    }
}
