/// Rows in PostgreSQL's binary COPY format, for `Connection.copy`: the
/// cheapest way to bulk-insert (no SQL text, no array literals or hex to
/// parse; each value arrives in the column type's own binary form).
///
/// Each row must give the table's columns in the order the COPY statement
/// names them, with values of the columns' types: `text` (UTF-8),
/// `bigint` (8 bytes, big-endian) and `bytea` (raw). A value of the wrong
/// type is refused by PostgreSQL with a clear error, never misread.
public struct BinaryCopyRows: Sendable {
    public enum Value: Sendable {
        case text(String)
        case bigint(Int64)
        case bytea([UInt8])
        case null
    }

    public let columns: Int
    public private(set) var count = 0
    /// Header and rows; `Connection.copy` sends `trailer` after them.
    private(set) var body: [UInt8]

    public init(columns: Int, reservingBytes: Int = 0) {
        precondition(columns > 0 && columns < Int(Int16.max))
        self.columns = columns
        // Signature, flags (no OIDs), header extension length (none).
        body = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
        body.reserveCapacity(body.count + reservingBytes)
    }

    public mutating func append(_ row: [Value]) {
        precondition(row.count == columns, "a COPY row has \(columns) values, not \(row.count)")
        appendBigEndian(Int16(columns))
        for value in row {
            switch value {
            case .text(let text):
                appendBigEndian(Int32(text.utf8.count))
                body.append(contentsOf: text.utf8)
            case .bigint(let number):
                appendBigEndian(Int32(8))
                appendBigEndian(number)
            case .bytea(let bytes):
                appendBigEndian(Int32(bytes.count))
                body.append(contentsOf: bytes)
            case .null:
                appendBigEndian(Int32(-1))
            }
        }
        count += 1
    }

    /// The end of the data: a field count of -1.
    static let trailer: [UInt8] = [0xFF, 0xFF]

    private mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { body.append(contentsOf: $0) }
    }
}
