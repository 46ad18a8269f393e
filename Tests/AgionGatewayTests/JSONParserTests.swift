import AgionJSON
import Foundation
import Testing

/// The strict JSON reader behind every request body (`JSONParser`).
@Suite struct JSONParserTests {
    func parse(_ text: String) throws(JSONParseError) -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    func failure(_ text: String) -> JSONParseError? {
        do { _ = try parse(text); return nil } catch { return error }
    }

    @Test func readsEveryKindOfValue() throws {
        let value = try parse(#" { "a" : [1, -2, 3.5, -0.25e2, 1E3, 9223372036854775807, 9223372036854775808], "b": {"c": null, "d": true, "e": false}, "f": "", "g": [], "h": {} } "#)
        #expect(value == .object([
            "a": [1, -2, 3.5, -25.0, 1000.0, .integer(Int64.max), .number(9223372036854775808.0)],
            "b": ["c": nil, "d": true, "e": false], "f": "", "g": [], "h": [:],
        ]))
        #expect(try parse("0") == 0 && parse("-0") == 0 && parse("\"x\"") == "x" && parse("null") == nil)
    }

    @Test func readsEscapesAndUnicode() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{C}\n\r\t"))
        #expect(try parse(#""\u00e9\u4E2D\ud83d\ude00""#) == .string("é中😀"))
        #expect(try parse("\"é中😀\"") == .string("é中😀"))
        #expect(try parse(#""\u0000""#) == .string("\u{0}"))
    }

    @Test func saysWhereAndWhyADocumentIsNotJSON() {
        let cases: [(String, Int, String)] = [
            ("", 0, "the document ends where a value should be"),
            ("{\"a\": 1,}", 8, "expected a key in quotes"),
            ("[1, 2", 5, "expected ',' or ']' in an array"),
            ("{\"a\" 1}", 5, "expected ':' after the key"),
            ("01", 1, "numbers do not start with 0"),
            ("1.", 2, "expected a digit after '.'"),
            ("-", 1, "a number needs a digit after '-'"),
            ("1e", 2, "expected a digit in the exponent"),
            ("+1", 0, "unexpected character '+'"),
            ("tru", 0, "unexpected character 't'"),
            ("\"abc", 4, "the string is not closed"),
            ("\"a\tb\"", 2, "control characters must be escaped in strings"),
            (#""\x""#, 1, "unknown escape '\\x'"),
            (#""\ud83d""#, 1, "a high surrogate must be followed by a low one"),
            (#""\ude00""#, 1, "a low surrogate without a high one"),
            (#""\u12""#, 3, "expected four hex digits after \\u"),
            ("{\"a\": 1, \"a\": 2}", 9, "the key 'a' appears twice in one object"),
            ("{} {}", 3, "unexpected content after the document"),
            ("1e999", 0, "the number is out of range"),
        ]
        for (text, offset, reason) in cases {
            #expect(failure(text) == JSONParseError(offset: offset, reason: reason), "\(text)")
        }
        #expect(failure(String(repeating: "[", count: 129) + String(repeating: "]", count: 129))?.reason == "nested deeper than 128 levels")
        #expect(failure(String(repeating: "[", count: 128) + String(repeating: "]", count: 128)) == nil)
        #expect(failure(String(repeating: "[", count: 100_000)) != nil, "hostile nesting is refused, not a stack overflow")
        // Invalid UTF-8 inside a string.
        do { _ = try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]); Issue.record("accepted invalid UTF-8") } catch {
            #expect(error.reason == "the string is not valid UTF-8")
        }
    }

    @Test func writesCompactSortedJSONWithEscapes() {
        let value: JSONValue = ["b": [1, 2.5, -3, 1e20, true, nil], "a": "q\"b\\n\nr\rt\t\u{1}\u{7F}é", "": [:]]
        #expect(value.serializedString == #"{"":{},"a":"q\"b\\n\nr\rt\t\u0001\u007fé","b":[1,2.5,-3,1e+20,true,null]}"#)
    }

    @Test func whatItWritesItReadsBack() throws {
        var rng = SplitMix(seed: 7)
        for _ in 0..<500 {
            let value = JSONValue.random(using: &rng, depth: 0)
            #expect(try JSONValue.parse(value.serialized) == value)
        }
    }

    /// Corrupted documents never crash it, and what it accepts Foundation accepts too (it is only ever stricter).
    @Test func corruptedDocumentsAreRefusedNeverCrash() throws {
        var rng = SplitMix(seed: 11)
        var accepted = 0
        let alphabet = Array("{}[]\",:\\0-.eE \u{1}".utf8)
        for _ in 0..<5_000 {
            var bytes = JSONValue.random(using: &rng, depth: 0).serialized
            for _ in 0...(rng.next() % 3) {
                guard !bytes.isEmpty else { break }
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.remove(at: at)
                default: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                }
            }
            guard let mine = try? JSONValue.parse(bytes) else { continue }
            accepted += 1
            let theirs = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            #expect(theirs != nil, "accepted what Foundation refuses: \(String(decoding: bytes, as: UTF8.self)) -> \(mine)")
        }
        #expect(accepted > 100, "the corruption left some documents valid")
    }
}

/// A small deterministic generator, so a failure can be reproduced.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension JSONValue {
    static func random(using rng: inout SplitMix, depth: Int) -> JSONValue {
        let strings = ["", "a", "agent_id", "é中😀", "quote\"back\\slash", "line\nbreak\ttab", "\u{1}\u{1F}", "langgraph-v2:charts"]
        switch rng.next() % (depth > 3 ? 5 : 7) {
        case 0: return .null
        case 1: return .bool(rng.next() % 2 == 0)
        case 2: return .integer(Int64(bitPattern: rng.next()) >> (rng.next() % 64))
        case 3: return .number(Double(Int64(bitPattern: rng.next()) >> 20) + 0.25)  // never integral: prints with a fraction
        case 4: return .string(strings[Int(rng.next() % UInt64(strings.count))])
        case 5: return .array((0..<(rng.next() % 4)).map { _ in random(using: &rng, depth: depth + 1) })
        default:
            var fields: [String: JSONValue] = [:]
            for _ in 0..<(rng.next() % 4) { fields[strings[Int(rng.next() % UInt64(strings.count))]] = random(using: &rng, depth: depth + 1) }
            return .object(fields)
        }
    }
}
