import AgionJSON

/// A step's input: JSON in which an object of exactly one key, `$ref`, stands
/// for a value taken from the mission's input or from the output of a step it
/// depends on. Nothing is evaluated: a reference is a path, and that is all.
///
///     {"topic": {"$ref": "input.topic"}, "facts": {"$ref": "steps.research.output.summary"}}
///
/// A path is dot-separated; a segment of digits indexes an array. A reference
/// to the output of a step that failed with `on_failure: continue` is null.
public enum InputTemplate {
    /// Where a reference points.
    public enum Reference: Hashable, Sendable, CustomStringConvertible {
        /// `input` or `input.<path>`.
        case input(path: [String])
        /// `steps.<id>.output` or `steps.<id>.output.<path>`.
        case stepOutput(step: String, path: [String])

        /// Parses the text of a `$ref`; nil when it is neither form.
        public init?(_ text: String) {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !parts.contains(where: \.isEmpty) else { return nil }
            if parts.first == "input" {
                self = .input(path: Array(parts.dropFirst()))
            } else if parts.count >= 3, parts[0] == "steps", parts[2] == "output" {
                self = .stepOutput(step: parts[1], path: Array(parts.dropFirst(3)))
            } else {
                return nil
            }
        }

        public var description: String {
            switch self {
            case .input(let path): (["input"] + path).joined(separator: ".")
            case .stepOutput(let step, let path): (["steps", step, "output"] + path).joined(separator: ".")
            }
        }
    }

    /// Every reference in `template`, with the field path it stands at
    /// (`steps[2].input.facts`); a malformed `$ref` is an error naming it.
    public static func references(in template: JSONValue, field: String) throws(DefinitionError) -> [(Reference, String)] {
        var found: [(Reference, String)] = []
        try collect(template, field: field, into: &found)
        return found
    }

    private static func collect(_ value: JSONValue, field: String, into found: inout [(Reference, String)]) throws(DefinitionError) {
        switch value {
        case .object(let fields):
            if let ref = fields["$ref"] {
                guard fields.count == 1, case .string(let text) = ref else {
                    throw DefinitionError(field: field, reason: "a reference is an object with one key, \"$ref\", holding a path string")
                }
                guard let reference = Reference(text) else {
                    throw DefinitionError(field: field + ".$ref", reason: "'\(text.prefix(100))' is not input[.path] or steps.<id>.output[.path]")
                }
                found.append((reference, field))
                return
            }
            for key in fields.keys.sorted() { try collect(fields[key]!, field: field + "." + key, into: &found) }
        case .array(let items):
            for (index, item) in items.enumerated() { try collect(item, field: "\(field)[\(index)]", into: &found) }
        default:
            return
        }
    }

    /// The template with every reference replaced. `outputs` holds the
    /// outputs of the steps that succeeded; a step named but absent there
    /// (it failed and the mission continued) gives null. A path that does not
    /// exist in the value it reads is an error saying which.
    public static func render(_ template: JSONValue, input: JSONValue, outputs: [String: JSONValue]) throws(RenderError) -> JSONValue {
        switch template {
        case .object(let fields):
            if let ref = fields["$ref"], fields.count == 1, case .string(let text) = ref, let reference = Reference(text) {
                return try resolve(reference, input: input, outputs: outputs)
            }
            var rendered: [String: JSONValue] = [:]
            for (key, value) in fields { rendered[key] = try render(value, input: input, outputs: outputs) }
            return .object(rendered)
        case .array(let items):
            var rendered: [JSONValue] = []
            rendered.reserveCapacity(items.count)
            for item in items { rendered.append(try render(item, input: input, outputs: outputs)) }
            return .array(rendered)
        default:
            return template
        }
    }

    static func resolve(_ reference: Reference, input: JSONValue, outputs: [String: JSONValue]) throws(RenderError) -> JSONValue {
        switch reference {
        case .input(let path):
            guard let value = value(at: path, in: input) else { throw RenderError(reference: reference) }
            return value
        case .stepOutput(let step, let path):
            guard let output = outputs[step] else { return .null }
            // A stored output: its part is resolved by execution, which reads
            // the content (a missing path fails the attempt there).
            if let stored = OutputReference(output) { return stored.appending(path).json }
            guard let value = value(at: path, in: output) else { throw RenderError(reference: reference) }
            return value
        }
    }

    /// The value at `path` in `root`: object keys, and array indexes for segments of digits.
    public static func value(at path: [String], in root: JSONValue) -> JSONValue? {
        var current = root
        for segment in path {
            switch current {
            case .object(let fields):
                guard let next = fields[segment] else { return nil }
                current = next
            case .array(let items):
                guard let index = Int(segment), items.indices.contains(index) else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    /// A reference that names a path its value does not have.
    public struct RenderError: Error, Hashable, Sendable, CustomStringConvertible {
        public let reference: Reference
        public var description: String { "\(reference) does not exist" }
    }
}
