import AgionEnvelope

/// Reads the protobuf wire format directly, the counterpart of `ProtoWriter`:
/// for messages decoded on every check, where the generic codec (protobuf-c
/// unpack, then a `ProtoMessage` of dictionaries) costs more than the check.
///
/// A reader is a window `[position, end)` on one byte array; a nested message
/// is a narrower window on the same bytes, so nothing is copied until a
/// string is made. Every read is bounds-checked: malformed bytes throw
/// `.malformed`, never trap.
struct ProtoReader {
    enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    private let bytes: [UInt8]
    private var position: Int
    private let end: Int
    /// The message being read, for error messages.
    let messageName: String

    init(_ bytes: [UInt8], messageName: String) {
        self.init(bytes, from: 0, to: bytes.count, messageName: messageName)
    }

    private init(_ bytes: [UInt8], from position: Int, to end: Int, messageName: String) {
        self.bytes = bytes
        self.position = position
        self.end = end
        self.messageName = messageName
    }

    /// The next field's number and wire type, or nil at the end of the message.
    mutating func nextField() throws(EnvelopeError) -> (number: Int, wireType: WireType)? {
        guard position < end else { return nil }
        let key = try varint()
        guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
            throw malformed("unsupported wire type \(key & 7)")
        }
        let number = key >> 3
        guard number > 0, number <= 536_870_911 else { throw malformed("field number \(number) is out of range") }
        return (Int(number), wireType)
    }

    mutating func varint() throws(EnvelopeError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw malformed("truncated varint") }
            let byte = bytes[position]
            position += 1
            guard shift < 64 else { throw malformed("varint longer than 10 bytes") }
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    mutating func fixed64() throws(EnvelopeError) -> UInt64 {
        guard end - position >= 8 else { throw malformed("truncated 64-bit field") }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += 8
        return value
    }

    /// The bounds of a length-delimited field's body; moves past it.
    private mutating func lengthDelimited() throws(EnvelopeError) -> Range<Int> {
        let length = try varint()
        guard length <= UInt64(end - position) else { throw malformed("a field is longer than the message") }
        let start = position
        position += Int(length)
        return start..<position
    }

    /// As the generic decoder reads strings: protobuf-c hands them over
    /// NUL-terminated, so a string ends at its first NUL; invalid UTF-8 is refused.
    mutating func string() throws(EnvelopeError) -> String {
        var range = try lengthDelimited()
        if let nul = bytes[range].firstIndex(of: 0) { range = range.lowerBound..<nul }
        guard let string = String(validating: bytes[range], as: UTF8.self) else { throw malformed("string field is not valid UTF-8") }
        return string
    }

    mutating func message(_ name: String) throws(EnvelopeError) -> ProtoReader {
        let range = try lengthDelimited()
        return ProtoReader(bytes, from: range.lowerBound, to: range.upperBound, messageName: name)
    }

    mutating func double() throws(EnvelopeError) -> Double { Double(bitPattern: try fixed64()) }

    mutating func bool() throws(EnvelopeError) -> Bool { try varint() != 0 }

    mutating func int64() throws(EnvelopeError) -> Int64 { Int64(bitPattern: try varint()) }

    /// Moves past a field this reader does not know (newer writers may add fields).
    mutating func skip(_ wireType: WireType) throws(EnvelopeError) {
        switch wireType {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .lengthDelimited: _ = try lengthDelimited()
        case .fixed32:
            guard end - position >= 4 else { throw malformed("truncated 32-bit field") }
            position += 4
        }
    }

    /// A known field arrived with another wire type than its declared type's.
    func expect(_ wireType: WireType, is expected: WireType, field: Int) throws(EnvelopeError) {
        guard wireType != expected else { return }
        throw malformed("field \(field) has wire type \(wireType.rawValue), expected \(expected.rawValue)")
    }

    private func malformed(_ reason: String) -> EnvelopeError {
        EnvelopeError(.malformed, "not a valid \(messageName) message: \(reason)")
    }
}
