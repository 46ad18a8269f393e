/// Why a document is not JSON, and where (a byte offset into it).
public struct JSONParseError: Error, Equatable, CustomStringConvertible {
    public let offset: Int
    public let reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "not valid JSON at byte \(offset): \(reason)" }
}

/// A strict RFC 8259 reader straight from bytes to `JSONValue`, for request
/// bodies. Foundation's `JSONDecoder` through `Codable` was the largest single
/// cost of the gateway's check path (every value was tried as each type in
/// turn, each failed try throwing).
///
/// Stricter than JSONDecoder where leniency would be ambiguous: a key given
/// twice in one object is refused (parsers disagree on which one wins), as are
/// invalid UTF-8, unpaired surrogates, control characters in strings, and
/// nesting deeper than `maxDepth` (so hostile input cannot exhaust the stack).
/// Integers without fraction or exponent that fit in 64 bits stay exact.
struct JSONParser {
    static let maxDepth = 128

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes)
        parser.skipBlanks()
        let value = try parser.value()
        parser.skipBlanks()
        guard parser.index == bytes.count else { throw parser.error("unexpected content after the document") }
        return value
    }

    private func error(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipBlanks() {
        while let c = current, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { index += 1 }
    }

    private mutating func value() throws(JSONParseError) -> JSONValue {
        guard let c = current else { throw error("the document ends where a value should be") }
        switch c {
        case UInt8(ascii: "{"): return try nested { (p: inout JSONParser) throws(JSONParseError) in try p.object() }
        case UInt8(ascii: "["): return try nested { (p: inout JSONParser) throws(JSONParseError) in try p.array() }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("unexpected character '\(Self.printable(c))'")
        }
    }

    private mutating func nested(_ body: (inout JSONParser) throws(JSONParseError) -> JSONValue) throws(JSONParseError) -> JSONValue {
        depth += 1
        guard depth <= Self.maxDepth else { throw error("nested deeper than \(Self.maxDepth) levels") }
        defer { depth -= 1 }
        return try body(&self)
    }

    private mutating func object() throws(JSONParseError) -> JSONValue {
        index += 1  // {
        var fields: [String: JSONValue] = [:]
        skipBlanks()
        if current == UInt8(ascii: "}") { index += 1; return .object(fields) }
        while true {
            skipBlanks()
            guard current == UInt8(ascii: "\"") else { throw error("expected a key in quotes") }
            let keyOffset = index
            let key = try string()
            skipBlanks()
            guard current == UInt8(ascii: ":") else { throw error("expected ':' after the key") }
            index += 1
            skipBlanks()
            let value = try value()
            guard fields.updateValue(value, forKey: key) == nil else {
                throw JSONParseError(offset: keyOffset, reason: "the key '\(key)' appears twice in one object")
            }
            skipBlanks()
            switch current {
            case UInt8(ascii: ",")?: index += 1
            case UInt8(ascii: "}")?: index += 1; return .object(fields)
            default: throw error("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func array() throws(JSONParseError) -> JSONValue {
        index += 1  // [
        var items: [JSONValue] = []
        skipBlanks()
        if current == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            skipBlanks()
            items.append(try value())
            skipBlanks()
            switch current {
            case UInt8(ascii: ",")?: index += 1
            case UInt8(ascii: "]")?: index += 1; return .array(items)
            default: throw error("expected ',' or ']' in an array")
            }
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count,
              word.withUTF8Buffer({ expected in bytes[index..<index + count].elementsEqual(expected) }) else {
            throw error("unexpected character '\(Self.printable(bytes[index]))'")
        }
        index += count
    }

    private mutating func number() throws(JSONParseError) -> JSONValue {
        let start = index
        var integral = true
        if current == UInt8(ascii: "-") { index += 1 }
        guard let first = current, Self.isDigit(first) else { throw error("a number needs a digit after '-'") }
        index += 1
        if first == UInt8(ascii: "0"), let next = current, Self.isDigit(next) { throw error("numbers do not start with 0") }
        while let c = current, Self.isDigit(c) { index += 1 }
        if current == UInt8(ascii: ".") {
            integral = false
            index += 1
            guard let c = current, Self.isDigit(c) else { throw error("expected a digit after '.'") }
            while let c = current, Self.isDigit(c) { index += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            integral = false
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard let c = current, Self.isDigit(c) else { throw error("expected a digit in the exponent") }
            while let c = current, Self.isDigit(c) { index += 1 }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if integral, let value = Int64(text) { return .integer(value) }
        guard let value = Double(text), value.isFinite else { throw JSONParseError(offset: start, reason: "the number is out of range") }
        return .number(value)
    }

    private mutating func string() throws(JSONParseError) -> String {
        index += 1  // "
        let start = index
        // The common case: no escapes, so the bytes between the quotes are the string.
        while let c = current, c != UInt8(ascii: "\""), c != UInt8(ascii: "\\") {
            guard c >= 0x20 else { throw error("control characters must be escaped in strings") }
            index += 1
        }
        guard let stop = current else { throw error("the string is not closed") }
        var utf8 = Array(bytes[start..<index])
        if stop == UInt8(ascii: "\\") { try escapedRest(into: &utf8) } else { index += 1 }
        guard let string = String(validating: utf8, as: UTF8.self) else {
            throw JSONParseError(offset: start, reason: "the string is not valid UTF-8")
        }
        return string
    }

    /// The rest of a string from its first backslash to the closing quote.
    private mutating func escapedRest(into utf8: inout [UInt8]) throws(JSONParseError) {
        while true {
            guard let c = current else { throw error("the string is not closed") }
            index += 1
            switch c {
            case UInt8(ascii: "\""): return
            case UInt8(ascii: "\\"):
                guard let e = current else { throw error("the string is not closed") }
                index += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(e)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"): utf8.append(contentsOf: String(Character(try unicodeEscape())).utf8)
                default: throw JSONParseError(offset: index - 2, reason: "unknown escape '\\\(Self.printable(e))'")
                }
            case 0..<0x20: throw JSONParseError(offset: index - 1, reason: "control characters must be escaped in strings")
            default: utf8.append(c)
            }
        }
    }

    /// The scalar of a `\uXXXX` escape (after the `u`), joining a surrogate pair.
    private mutating func unicodeEscape() throws(JSONParseError) -> Unicode.Scalar {
        let start = index - 2
        let high = try hex4()
        if (0xD800..<0xDC00).contains(high) {
            guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                throw JSONParseError(offset: start, reason: "a high surrogate must be followed by a low one")
            }
            index += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw JSONParseError(offset: start, reason: "a high surrogate must be followed by a low one") }
            return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
        }
        guard let scalar = Unicode.Scalar(high) else { throw JSONParseError(offset: start, reason: "a low surrogate without a high one") }
        return scalar
    }

    private mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("expected four hex digits after \\u") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw error("expected four hex digits after \\u")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// A byte as it can be quoted in an error message.
    private static func printable(_ c: UInt8) -> String {
        (0x21..<0x7F).contains(c) ? String(UnicodeScalar(c)) : "\\u{\(String(c, radix: 16))}"
    }
}
