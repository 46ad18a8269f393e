/// A pattern over ids and actions: `*` matches any run of characters (also
/// `:` and `.`), `?` one character, everything else itself. Common shapes
/// (exact, `prefix*`, `*suffix`, `*`) match without the general algorithm.
public struct GlobPattern: Sendable, Hashable, CustomStringConvertible {
    enum Shape: Sendable, Hashable {
        case any
        case exact([UInt8])
        case prefix([UInt8])
        case suffix([UInt8])
        case general([UInt8])
    }

    public let description: String
    let shape: Shape

    public static let any = GlobPattern("*")

    public init(_ text: String) {
        description = text
        let bytes = Array(text.utf8)
        let stars = bytes.filter { $0 == UInt8(ascii: "*") }.count
        let hasQuestion = bytes.contains(UInt8(ascii: "?"))
        if text == "*" {
            shape = .any
        } else if stars == 0 && !hasQuestion {
            shape = .exact(bytes)
        } else if stars == 1 && !hasQuestion && bytes.last == UInt8(ascii: "*") {
            shape = .prefix(Array(bytes.dropLast()))
        } else if stars == 1 && !hasQuestion && bytes.first == UInt8(ascii: "*") {
            shape = .suffix(Array(bytes.dropFirst()))
        } else {
            shape = .general(bytes)
        }
    }

    /// The exact text this pattern matches, when it matches only one.
    public var exactText: String? { if case .exact = shape { description } else { nil } }

    public func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { matches(utf8: $0) }
    }

    func matches(utf8 text: UnsafeBufferPointer<UInt8>) -> Bool {
        switch shape {
        case .any: return true
        case .exact(let bytes): return text.count == bytes.count && text.elementsEqual(bytes)
        case .prefix(let bytes): return text.count >= bytes.count && text.prefix(bytes.count).elementsEqual(bytes)
        case .suffix(let bytes): return text.count >= bytes.count && text.suffix(bytes.count).elementsEqual(bytes)
        case .general(let pattern): return Self.glob(pattern, text)
        }
    }

    /// Iterative glob with single-star backtracking: linear in practice, no recursion.
    private static func glob(_ pattern: [UInt8], _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var p = 0, t = 0
        var starP = -1, starT = 0
        while t < text.count {
            if p < pattern.count && (pattern[p] == UInt8(ascii: "?") || (pattern[p] != UInt8(ascii: "*") && pattern[p] == text[t])) {
                p += 1; t += 1
            } else if p < pattern.count && pattern[p] == UInt8(ascii: "*") {
                starP = p; starT = t; p += 1
            } else if starP >= 0 {
                p = starP + 1; starT += 1; t = starT
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
