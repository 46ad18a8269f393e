/// An envelope or payload that could not be encoded or decoded.
public struct EnvelopeError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable code. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case malformed, invalidField, unsupportedVersion, unknownType
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The bytes are not a valid protobuf message of the expected type.
        public static let malformed = Code(.malformed)
        /// A field decoded but holds a value the contract forbids.
        public static let invalidField = Code(.invalidField)
        /// The schema version is newer than this reader, or no upcaster covers it.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// The payload type is not the one the reader expected.
        public static let unknownType = Code(.unknownType)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String
    /// The offending field's path (for example `agents[2].id`), when one is to blame.
    public let field: String
    public let file: String
    public let line: Int

    /// Decoding errors are properties of the bytes: retrying never helps.
    public var isRetriable: Bool { false }

    public init(_ code: Code, _ message: String, field: String = "", file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.field = field
        self.file = file
        self.line = line
    }

    public var description: String { field.isEmpty ? "\(code): \(message)" : "\(code) (\(field)): \(message)" }
}
