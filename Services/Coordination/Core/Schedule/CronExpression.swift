import Foundation

/// A standard five-field cron expression (minute, hour, day of month, month,
/// day of week), read strictly: lists (`1,15`), ranges (`1-5`), steps
/// (`*/15`, `10-50/20`), names (`jan`-`dec`, `sun`-`sat`, any case), and 7 as
/// Sunday. As in Vixie cron, when both day fields are restricted a day
/// matches if either does. Times are wall-clock times in the schedule's time
/// zone: a time that a daylight-saving change skips does not fire that day,
/// and one it repeats fires once (the first).
public struct CronExpression: Hashable, Sendable, CustomStringConvertible {
    public let minutes: Set<Int>
    public let hours: Set<Int>
    public let daysOfMonth: Set<Int>
    public let months: Set<Int>
    /// 0 is Sunday.
    public let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool
    public let description: String

    /// Why an expression was refused: the field (`minute`, `hour`,
    /// `day_of_month`, `month`, `day_of_week`) and what is wrong with it.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public let field: String
        public let reason: String
        public var description: String { "\(field): \(reason)" }
    }

    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    public init(_ text: String) throws(ParseError) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(field: "cron", reason: "five fields (minute hour day-of-month month day-of-week), not \(fields.count)")
        }
        minutes = try Self.field(fields[0], name: "minute", range: 0...59, names: [])
        hours = try Self.field(fields[1], name: "hour", range: 0...23, names: [])
        daysOfMonth = try Self.field(fields[2], name: "day_of_month", range: 1...31, names: [])
        months = try Self.field(fields[3], name: "month", range: 1...12, names: Self.monthNames, nameBase: 1)
        // 7 is Sunday too.
        daysOfWeek = Set(try Self.field(fields[4], name: "day_of_week", range: 0...7, names: Self.dayNames).map { $0 % 7 })
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
        description = fields.joined(separator: " ")
    }

    private static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String], nameBase: Int = 0) throws(ParseError) -> Set<Int> {
        var values = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { throw ParseError(field: name, reason: "an empty list item in '\(text)'") }
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw ParseError(field: name, reason: "'\(part)' has more than one step") }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed >= 1, parsed <= range.upperBound else {
                    throw ParseError(field: name, reason: "the step in '\(part)' must be from 1 to \(range.upperBound)")
                }
                step = parsed
            }
            let base = pieces[0]
            let bounds: ClosedRange<Int>
            if base == "*" {
                bounds = range
            } else if let dash = base.firstIndex(of: "-") {
                let low = try value(base[..<dash], name: name, range: range, names: names, nameBase: nameBase)
                let high = try value(base[base.index(after: dash)...], name: name, range: range, names: names, nameBase: nameBase)
                guard low <= high else { throw ParseError(field: name, reason: "the range '\(base)' runs backwards") }
                bounds = low...high
            } else {
                let single = try value(base, name: name, range: range, names: names, nameBase: nameBase)
                // `5/15` means from 5 to the end, every 15.
                bounds = pieces.count == 2 ? single...range.upperBound : single...single
            }
            values.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return values
    }

    private static func value(_ text: Substring, name: String, range: ClosedRange<Int>, names: [String], nameBase: Int) throws(ParseError) -> Int {
        if let number = Int(text) {
            guard range.contains(number) else { throw ParseError(field: name, reason: "\(number) is out of \(range.lowerBound)-\(range.upperBound)") }
            return number
        }
        if let index = names.firstIndex(of: text.lowercased()) { return index + nameBase }
        throw ParseError(field: name, reason: "'\(text)' is not a number" + (names.isEmpty ? "" : " or a name (\(names.joined(separator: ", ")))"))
    }

    /// Whether a calendar day matches the day fields.
    func matches(day: Int, month: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        let byDate = daysOfMonth.contains(day), byWeekday = daysOfWeek.contains(weekday)
        if dayOfMonthRestricted && dayOfWeekRestricted { return byDate || byWeekday }
        return byDate && byWeekday
    }

    /// The first firing strictly after `instant`, in `zone`; nil if none within
    /// five years (an expression like `0 0 31 2 *` never fires).
    public func next(after instant: Date, in zone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let sortedHours = hours.sorted(), sortedMinutes = minutes.sorted()
        let start = calendar.dateComponents([.year, .month, .day], from: instant)
        guard var day = calendar.date(from: start) else { return nil }
        for _ in 0..<(366 * 5) {
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            if matches(day: parts.day!, month: parts.month!, weekday: parts.weekday! - 1) {
                for hour in sortedHours {
                    for minute in sortedMinutes {
                        var wanted = DateComponents()
                        wanted.year = parts.year
                        wanted.month = parts.month
                        wanted.day = parts.day
                        wanted.hour = hour
                        wanted.minute = minute
                        guard let candidate = calendar.date(from: wanted), candidate > instant else { continue }
                        // A wall time the zone skips (spring forward) maps to another: not a firing.
                        let back = calendar.dateComponents([.day, .hour, .minute], from: candidate)
                        guard back.day == parts.day, back.hour == hour, back.minute == minute else { continue }
                        return candidate
                    }
                }
            }
            guard let following = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
            day = following
        }
        return nil
    }
}
