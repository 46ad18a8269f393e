import Foundation

/// One result row, in PostgreSQL's text format, decoded on demand.
public struct Row: Sendable {
    let columns: [String: Int]
    let values: [String?]

    /// The column's value as `T`; NULL only decodes as an Optional.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws(StoreError) -> T {
        guard let index = columns[column] else { throw StoreError(.decoding, "no column \(column)") }
        return try decode(index, as: type)
    }

    public func decode<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws(StoreError) -> T {
        guard index < values.count else { throw StoreError(.decoding, "no column \(index)") }
        return try T(postgresText: values[index])
    }
}

/// One result row in PostgreSQL's binary format (`Connection.queryBinary`):
/// for hot reads of `bytea` (no hex to decode: half the bytes on the wire)
/// and integers. Each accessor reads the column's type's binary form.
public struct BinaryRow: Sendable {
    let columns: [String: Int]
    let values: [[UInt8]?]

    /// A `bytea` column.
    public func bytes(_ column: String) throws(StoreError) -> [UInt8] { try value(column) }

    /// A `text` column.
    public func text(_ column: String) throws(StoreError) -> String { String(decoding: try value(column), as: UTF8.self) }

    /// A `bigint` column.
    public func int64(_ column: String) throws(StoreError) -> Int64 {
        let bytes = try value(column)
        guard bytes.count == 8 else { throw StoreError(.decoding, "column \(column) has \(bytes.count) bytes, not a bigint's 8") }
        return Int64(bigEndian: bytes.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) })
    }

    private func value(_ column: String) throws(StoreError) -> [UInt8] {
        guard let index = columns[column] else { throw StoreError(.decoding, "no column \(column)") }
        guard let value = values[index] else { throw StoreError(.decoding, "column \(column) is NULL") }
        return value
    }
}

/// A Swift value that can be read from a column in text format.
public protocol PostgresDecodable {
    init(postgresText: String?) throws(StoreError)
}

extension PostgresDecodable {
    static func required(_ text: String?) throws(StoreError) -> String {
        guard let text else { throw StoreError(.decoding, "NULL where \(Self.self) was expected") }
        return text
    }
    static func parse<T>(_ text: String?, _ parse: (String) -> T?) throws(StoreError) -> T {
        let text = try required(text)
        guard let value = parse(text) else { throw StoreError(.decoding, "'\(text.prefix(40))' is not a \(Self.self)") }
        return value
    }
}

extension String: PostgresDecodable { public init(postgresText: String?) throws(StoreError) { self = try Self.required(postgresText) } }
extension Int: PostgresDecodable { public init(postgresText: String?) throws(StoreError) { self = try Self.parse(postgresText) { Int($0) } } }
extension Int64: PostgresDecodable { public init(postgresText: String?) throws(StoreError) { self = try Self.parse(postgresText) { Int64($0) } } }
extension Int32: PostgresDecodable { public init(postgresText: String?) throws(StoreError) { self = try Self.parse(postgresText) { Int32($0) } } }
extension Double: PostgresDecodable { public init(postgresText: String?) throws(StoreError) { self = try Self.parse(postgresText) { Double($0) } } }
extension Bool: PostgresDecodable {
    public init(postgresText: String?) throws(StoreError) { self = try Self.parse(postgresText) { $0 == "t" ? true : $0 == "f" ? false : nil } }
}
extension UUID: PostgresDecodable { public init(postgresText: String?) throws(StoreError) { self = try Self.parse(postgresText) { UUID(uuidString: $0) } } }
extension Array: PostgresDecodable where Element == UInt8 {
    /// `bytea` in hex output format: `\x0a1b...`.
    public init(postgresText: String?) throws(StoreError) {
        self = try Self.parse(postgresText) { text -> [UInt8]? in
            guard text.hasPrefix("\\x") else { return nil }
            let hex = Array(text.utf8.dropFirst(2))
            guard hex.count % 2 == 0 else { return nil }
            var bytes = [UInt8]()
            bytes.reserveCapacity(hex.count / 2)
            var i = 0
            while i < hex.count {
                guard let high = hexValue(hex[i]), let low = hexValue(hex[i + 1]) else { return nil }
                bytes.append(high << 4 | low)
                i += 2
            }
            return bytes
        }
    }
}
extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresText: String?) throws(StoreError) {
        self = postgresText == nil ? nil : try Wrapped(postgresText: postgresText)
    }
}

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}
