import AgionEnvelope

/// A failure of a NATS or JetStream operation.
public struct BusError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable code. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case connectionFailed, timeout, noResponders, remote, jetStream, closed
            case overloaded, invalidArgument, cancelled, decodeFailed, io
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Could not connect, or the connection was lost and did not come back in time.
        public static let connectionFailed = Code(.connectionFailed)
        /// No reply or acknowledgement before the deadline.
        public static let timeout = Code(.timeout)
        /// A request found no subscriber on its subject.
        public static let noResponders = Code(.noResponders)
        /// The responder answered with an error reply (see `remote`).
        public static let remote = Code(.remote)
        /// JetStream refused the operation (see `jetStreamCode`).
        public static let jetStream = Code(.jetStream)
        /// The connection or subscription is closed or draining.
        public static let closed = Code(.closed)
        /// Too much work is queued; try again later.
        public static let overloaded = Code(.overloaded)
        public static let invalidArgument = Code(.invalidArgument)
        public static let cancelled = Code(.cancelled)
        /// A reply could not be decoded.
        public static let decodeFailed = Code(.decodeFailed)
        /// Any other failure reported by cnats.
        public static let io = Code(.io)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String
    /// The error reply, when `code` is `.remote`.
    public let remote: ErrorReply?
    /// The JetStream API error code (for example 10071 for a wrong last sequence), or 0.
    public let jetStreamCode: Int
    public let file: String
    public let line: Int

    public init(_ code: Code, _ message: String, remote: ErrorReply? = nil, jetStreamCode: Int = 0,
                file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.remote = remote
        self.jetStreamCode = jetStreamCode
        self.file = file
        self.line = line
    }

    /// Whether the same operation may succeed if retried.
    public var isRetriable: Bool {
        switch code {
        case .timeout, .noResponders, .connectionFailed, .overloaded, .io: true
        case .remote: remote?.retriable ?? false
        default: false
        }
    }

    public var description: String {
        if let remote { return "\(code): \(remote)" }
        return jetStreamCode == 0 ? "\(code): \(message)" : "\(code) (\(jetStreamCode)): \(message)"
    }
}

extension BusError {
    /// A connection refused as unauthorised, or closed before it was ever up:
    /// what a server that is still loading the account shows (`Bus.connect`).
    var mayBeAccountLoading: Bool {
        code == .closed || (code == .connectionFailed && (message.contains("Authorization Violation") || message.contains("Authentication")))
    }
}
