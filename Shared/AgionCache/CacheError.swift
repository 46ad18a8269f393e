/// A Redis failure.
public struct CacheError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable code. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable { case connectionFailed, io, timeout, server, noScript, protocolError }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        public static let connectionFailed = Code(.connectionFailed)
        /// The connection broke mid-command; it is discarded and the next lease reconnects.
        public static let io = Code(.io)
        /// No pooled context became free in time, or the command timed out.
        public static let timeout = Code(.timeout)
        /// Redis answered with an error reply (see `message`).
        public static let server = Code(.server)
        /// EVALSHA named a script Redis does not have (handled by `RedisScript`).
        public static let noScript = Code(.noScript)
        public static let protocolError = Code(.protocolError)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String
    public let file: String
    public let line: Int

    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var isRetriable: Bool { code == .connectionFailed || code == .io || code == .timeout || code == .noScript }

    public var description: String { "\(code): \(message)" }
}
