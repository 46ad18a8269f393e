/// A step output too large to carry in events, stored once outside them
/// (`OutputStore`, AgionRuntime) and stood for by this reference wherever
/// the output would be: in `step_completed`, the mission's view, and the
/// inputs of the steps that read it.
///
///     {"$output": {"digest": "sha256:9f86…", "size": 16777216}}
///     {"$output": {"digest": "sha256:9f86…", "size": 16777216, "path": ["sections", "2"]}}
///
/// The digest (SHA-256 of the output's compact JSON) is the content's
/// address within its mission; `path`, set when an input names a part of a
/// stored output (`steps.x.output.sections.2`), is resolved by execution when
/// it fetches the content. An object of exactly one key, `$output`, is a
/// reference; no agent output may have that shape itself.
public struct OutputReference: Hashable, Sendable, CustomStringConvertible {
    public static let key = "$output"

    /// `sha256:` and 64 lowercase hex digits.
    public let digest: String
    /// Bytes of the whole stored output.
    public let size: Int
    /// Where in the stored output the value is (empty: all of it).
    public let path: [String]

    public init(digest: String, size: Int, path: [String] = []) {
        self.digest = digest
        self.size = size
        self.path = path
    }

    /// The reference `value` is, or nil if it is any other JSON.
    public init?(_ value: JSONValue) {
        guard case .object(let outer) = value, outer.count == 1, case .object(let fields)? = outer[Self.key],
              case .string(let digest)? = fields["digest"], Self.isDigest(digest),
              let size = Self.wholeNumber(fields["size"]), size >= 0 else { return nil }
        var path: [String] = []
        switch fields["path"] {
        case nil: break
        case .array(let items)?:
            for item in items {
                guard case .string(let segment) = item else { return nil }
                path.append(segment)
            }
        default: return nil
        }
        self.init(digest: digest, size: Int(size), path: path)
    }

    /// An integer, or a number that is one (protobuf's Value keeps every
    /// number as a double, so a reference that went through it has one).
    private static func wholeNumber(_ value: JSONValue?) -> Int64? {
        switch value {
        case .integer(let n)?: n
        case .number(let n)? where n.rounded() == n && abs(n) < 9e15: Int64(n)
        default: nil
        }
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = ["digest": .string(digest), "size": .integer(Int64(size))]
        if !path.isEmpty { fields["path"] = .array(path.map { .string($0) }) }
        return .object([Self.key: .object(fields)])
    }

    /// The same content, further in.
    public func appending(_ more: [String]) -> OutputReference { OutputReference(digest: digest, size: size, path: path + more) }

    /// The 64 hex digits alone (subject tokens, file names).
    public var hex: String { String(digest.dropFirst("sha256:".count)) }

    public var description: String { path.isEmpty ? digest : "\(digest) at \(path.joined(separator: "."))" }

    public static func isDigest(_ text: String) -> Bool {
        guard text.hasPrefix("sha256:") else { return false }
        let hex = text.utf8.dropFirst(7)
        return hex.count == 64 && hex.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// True when `value` has a reference anywhere in it.
    public static func occurs(in value: JSONValue) -> Bool {
        if OutputReference(value) != nil { return true }
        switch value {
        case .object(let fields): return fields.values.contains { occurs(in: $0) }
        case .array(let items): return items.contains { occurs(in: $0) }
        default: return false
        }
    }

    /// `value` with every reference replaced by what `resolve` gives for it.
    public static func replacing(in value: JSONValue, _ resolve: (OutputReference) async throws -> JSONValue) async throws -> JSONValue {
        if let reference = OutputReference(value) { return try await resolve(reference) }
        switch value {
        case .object(let fields):
            var replaced: [String: JSONValue] = [:]
            for (key, field) in fields { replaced[key] = try await replacing(in: field, resolve) }
            return .object(replaced)
        case .array(let items):
            var replaced: [JSONValue] = []
            replaced.reserveCapacity(items.count)
            for item in items { replaced.append(try await replacing(in: item, resolve)) }
            return .array(replaced)
        default:
            return value
        }
    }
}
