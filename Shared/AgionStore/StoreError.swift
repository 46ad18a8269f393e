/// A PostgreSQL failure, classified by SQLSTATE.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable code. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case connectionFailed, uniqueViolation, foreignKeyViolation, checkViolation, notNullViolation
            case serializationFailure, deadlock, undefinedTable, syntaxError, invalidInput, lockTimeout
            case migrationChecksumMismatch, decoding, timeout, other
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        public static let connectionFailed = Code(.connectionFailed)
        public static let uniqueViolation = Code(.uniqueViolation)
        public static let foreignKeyViolation = Code(.foreignKeyViolation)
        public static let checkViolation = Code(.checkViolation)
        public static let notNullViolation = Code(.notNullViolation)
        public static let serializationFailure = Code(.serializationFailure)
        public static let deadlock = Code(.deadlock)
        public static let undefinedTable = Code(.undefinedTable)
        public static let syntaxError = Code(.syntaxError)
        /// A parameter or value PostgreSQL could not accept (SQLSTATE class 22).
        public static let invalidInput = Code(.invalidInput)
        public static let lockTimeout = Code(.lockTimeout)
        /// An applied migration's file changed since it ran.
        public static let migrationChecksumMismatch = Code(.migrationChecksumMismatch)
        /// A column could not be read as the requested Swift type.
        public static let decoding = Code(.decoding)
        /// No pooled connection became free in time.
        public static let timeout = Code(.timeout)
        public static let other = Code(.other)

        public var description: String { base.rawValue }

        /// The code for a SQLSTATE.
        public static func forSQLState(_ state: String) -> Code {
            switch state {
            case "23505": .uniqueViolation
            case "23503": .foreignKeyViolation
            case "23514": .checkViolation
            case "23502": .notNullViolation
            case "40001": .serializationFailure
            case "40P01": .deadlock
            case "42P01": .undefinedTable
            case "42601": .syntaxError
            case "55P03": .lockTimeout
            default:
                if state.hasPrefix("08") || state.hasPrefix("57P") { .connectionFailed }
                else if state.hasPrefix("22") { .invalidInput }
                else { .other }
            }
        }
    }

    public let code: Code
    /// The five-character SQLSTATE, or empty when the error did not come from the server.
    public let sqlState: String
    public let message: String
    public let file: String
    public let line: Int

    public init(_ code: Code, _ message: String, sqlState: String = "", file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.file = file
        self.line = line
    }

    /// Serialization failures, deadlocks, lost connections and pool timeouts may
    /// succeed when the whole transaction is retried.
    public var isRetriable: Bool {
        [.serializationFailure, .deadlock, .connectionFailed, .timeout, .lockTimeout].contains(code)
    }

    public var description: String { sqlState.isEmpty ? "\(code): \(message)" : "\(code) [\(sqlState)]: \(message)" }
}
