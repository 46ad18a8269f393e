/// How a `Bus` connects to NATS.
///
/// Services build it from `AGION_NATS_URL` (see `ServiceConfiguration`); the
/// defaults match the local stack.
public struct BusConfiguration: Sendable {
    /// Comma-separated server URLs. Default `nats://127.0.0.1:14222`.
    public var url: String
    /// Connection name shown in the server's monitoring. Default `agion`.
    public var name: String
    /// Flush every publish at once instead of waiting up to 1 ms in cnats'
    /// flusher: needed for sub-millisecond request/reply. Default `true`.
    public var sendAsap: Bool
    /// First reconnect delay; it doubles per failed attempt up to `maxReconnectDelay`.
    public var reconnectDelay: Duration
    /// The longest wait between reconnect attempts (each wait is jittered
    /// between half of it and all of it). Default 250 ms: a service is back
    /// within about a quarter of a second of NATS, whose clients are then
    /// answered again well inside a second; four refused TCP connections a
    /// second per process cost a server that is down nothing, and one that is
    /// starting little (thousands of connections a second are routine).
    public var maxReconnectDelay: Duration
    /// Bytes buffered while disconnected before publishes fail. Default 8 MiB.
    public var reconnectBufferBytes: Int
    public var connectTimeout: Duration
    /// Keep retrying the first connection in the background instead of failing.
    public var retryOnFailedConnect: Bool
    /// A NATS `.creds` file (user JWT and seed) to authenticate with
    /// (`AGION_NATS_CREDS`; docs/security.md). Nil: connect without.
    public var credentialsFile: String?
    /// Reply subjects start with this instead of `_INBOX`: agent containers'
    /// credentials allow replies only under their own prefix.
    public var inboxPrefix: String?

    public init(
        url: String = "nats://127.0.0.1:14222",
        name: String = "agion",
        sendAsap: Bool = true,
        reconnectDelay: Duration = .milliseconds(100),
        maxReconnectDelay: Duration = .milliseconds(250),
        reconnectBufferBytes: Int = 8 << 20,
        connectTimeout: Duration = .seconds(2),
        retryOnFailedConnect: Bool = false,
        credentialsFile: String? = nil,
        inboxPrefix: String? = nil
    ) {
        self.credentialsFile = credentialsFile
        self.inboxPrefix = inboxPrefix
        self.url = url
        self.name = name
        self.sendAsap = sendAsap
        self.reconnectDelay = reconnectDelay
        self.maxReconnectDelay = maxReconnectDelay
        self.reconnectBufferBytes = reconnectBufferBytes
        self.connectTimeout = connectTimeout
        self.retryOnFailedConnect = retryOnFailedConnect
    }
}

extension BusConfiguration {
    /// The servers of a comma-separated `url` (a NATS cluster), trimmed, empty
    /// entries dropped.
    public static func serverURLs(_ url: String) -> [String] {
        url.split(separator: ",").map { entry -> String in
            var trimmed = entry
            while trimmed.first?.isWhitespace == true { trimmed.removeFirst() }
            while trimmed.last?.isWhitespace == true { trimmed.removeLast() }
            return String(trimmed)
        }.filter { !$0.isEmpty }
    }
}
