import AgionJSON
import Foundation

/// How results are printed: a readable table (the default) or the JSON the API returned.
enum OutputFormat: String, CaseIterable, Sendable {
    case table, json
}

enum Output {
    /// Prints `json` as JSON, or as a table of `columns` taken from the array at `key`
    /// (or from the object itself when `key` is nil).
    static func print(_ json: JSONValue, format: OutputFormat, list key: String? = nil, columns: [String]) {
        switch format {
        case .json:
            Swift.print(json.serializedString)
        case .table:
            if let key {
                table(json[key]?.arrayValue ?? [], columns: columns)
                if let next = json["next_page_token"]?.stringValue, !next.isEmpty { Swift.print("next page: --page-token \(next)") }
            } else {
                fields(json, columns: columns)
            }
        }
    }

    static func table(_ rows: [JSONValue], columns: [String]) {
        let cells = rows.map { row in columns.map { text(value(row, $0)) } }
        let widths = columns.indices.map { i in max(columns[i].count, cells.map { $0[i].count }.max() ?? 0) }
        func line(_ values: [String]) -> String {
            values.enumerated().map { i, v in v.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingTrailingSpaces()
        }
        Swift.print(line(columns.map { $0.uppercased() }))
        for row in cells { Swift.print(line(row)) }
        if rows.isEmpty { Swift.print("(none)") }
    }

    static func fields(_ object: JSONValue, columns: [String]) {
        let width = columns.map(\.count).max() ?? 0
        for column in columns {
            let value = value(object, column)
            if value == nil { continue }
            Swift.print(column.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + text(value))
        }
    }

    /// A dotted path into nested objects (`agent.id`).
    static func value(_ json: JSONValue, _ path: String) -> JSONValue? {
        var current: JSONValue? = json
        for key in path.split(separator: ".") { current = current?[String(key)] }
        return current
    }

    static func text(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: ""
        case .string(let s)?: s
        case .array(let items)?: items.map { text($0) }.joined(separator: ",")
        case let other?: other.serializedString
        }
    }
}

extension JSONValue {
    /// A copy whose rows at `list` carry a readable UTC `time` taken from the
    /// Unix-nanosecond field `field` (a string in the API's JSON), for tables.
    func withTimes(in list: String, from field: String) -> JSONValue {
        guard case .object(var object) = self, let rows = object[list]?.arrayValue else { return self }
        object[list] = .array(rows.map { row in
            guard case .object(var fields) = row, let nanos = fields[field]?.stringValue.flatMap({ Int64($0) }) else { return row }
            let date = Date(timeIntervalSince1970: Double(nanos) / 1e9)
            fields["time"] = .string(ISO8601DateFormatter().string(from: date))
            return .object(fields)
        })
        return .object(object)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
