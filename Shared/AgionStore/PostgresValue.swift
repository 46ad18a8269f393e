import Foundation

/// A statement parameter: text (PostgreSQL parses it by the column type), raw
/// bytes (sent in binary, for `bytea`), or NULL. Values are never spliced into SQL.
public enum PostgresValue: Sendable, Hashable {
    case text(String)
    case bytes([UInt8])
    case null
}

/// A Swift value that can be bound as a statement parameter.
public protocol PostgresEncodable: Sendable {
    var postgresValue: PostgresValue { get }
}

extension String: PostgresEncodable { public var postgresValue: PostgresValue { .text(self) } }
extension Int: PostgresEncodable { public var postgresValue: PostgresValue { .text(String(self)) } }
extension Int64: PostgresEncodable { public var postgresValue: PostgresValue { .text(String(self)) } }
extension Int32: PostgresEncodable { public var postgresValue: PostgresValue { .text(String(self)) } }
extension UInt64: PostgresEncodable { public var postgresValue: PostgresValue { .text(String(self)) } }
extension Double: PostgresEncodable { public var postgresValue: PostgresValue { .text(String(self)) } }
extension Bool: PostgresEncodable { public var postgresValue: PostgresValue { .text(self ? "t" : "f") } }
extension UUID: PostgresEncodable { public var postgresValue: PostgresValue { .text(uuidString.lowercased()) } }
extension Array: PostgresEncodable where Element == UInt8 { public var postgresValue: PostgresValue { .bytes(self) } }
extension PostgresValue: PostgresEncodable { public var postgresValue: PostgresValue { self } }
extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresValue: PostgresValue { self?.postgresValue ?? .null }
}
extension Date: PostgresEncodable {
    /// `YYYY-MM-DD HH:MM:SS.ffffff+00`: UTC with microseconds, `timestamptz` precision.
    public var postgresValue: PostgresValue {
        let micros = Int64((timeIntervalSince1970 * 1_000_000).rounded(.down))
        var seconds = time_t(micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000)
        let fraction = micros - Int64(seconds) * 1_000_000
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return .text(String(format: "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", parts.tm_year + 1900, parts.tm_mon + 1,
                            parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, fraction))
    }
}

/// A `text[]` parameter, written as an array literal with every element quoted (or NULL)
/// (so commas, braces, quotes and backslashes in values stay inside them).
public struct PostgresTextArray: PostgresEncodable, Hashable {
    /// nil elements are SQL NULLs (an absent element of a uuid[] or bigint[]).
    public let values: [String?]
    public init(_ values: [String]) { self.values = values }
    public init(nullable values: [String?]) { self.values = values }

    public var postgresValue: PostgresValue {
        // Byte by byte rather than Foundation's replacingOccurrences, which
        // bridges every value to NSString: this runs for every audit record.
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(values.reduce(2) { $0 + ($1?.utf8.count ?? 4) + 3 })
        for (i, element) in values.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            guard let value = element else {
                out.append(contentsOf: "NULL".utf8)
                continue
            }
            out.append(UInt8(ascii: "\""))
            for byte in value.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return .text(String(decoding: out, as: UTF8.self))
    }
}
