/// Server-sent events (the WHATWG `text/event-stream` format) read from
/// bytes as they arrive: what an HTTP agent that streams its answer sends
/// (docs/agent-contract.md, "Streaming progress"). Feed it chunks in order;
/// it returns each event once its blank line has come. Comments, `id` and
/// `retry` lines are skipped (an agent's stream is not resumed); `data`
/// lines of one event are joined with newlines, as the format says.
public struct EventStreamParser: Sendable {
    public struct Event: Hashable, Sendable {
        /// `message` when the event names none.
        public var name: String
        public var data: [UInt8]
    }

    public enum ParseError: Error, Hashable, Sendable {
        /// One event (or one line) longer than the limit: the stream is not the contract's.
        case eventTooLarge(limit: Int)
    }

    /// The largest event accepted, data and field names included.
    public let maxEventBytes: Int
    private var line: [UInt8] = []
    private var name = ""
    private var data: [UInt8] = []
    private var hasData = false
    private var lastWasCR = false

    public init(maxEventBytes: Int) {
        self.maxEventBytes = maxEventBytes
    }

    /// The events completed by `bytes`.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) throws(ParseError) -> [Event] where Bytes.Element == UInt8 {
        var events: [Event] = []
        for byte in bytes {
            // A line ends at LF, CR or CRLF (the LF of a CRLF is not a second end).
            if byte == 0x0A, lastWasCR { lastWasCR = false; continue }
            lastWasCR = byte == 0x0D
            guard byte == 0x0A || byte == 0x0D else {
                line.append(byte)
                if line.count + data.count > maxEventBytes { throw .eventTooLarge(limit: maxEventBytes) }
                continue
            }
            if let event = try endOfLine() { events.append(event) }
        }
        return events
    }

    private mutating func endOfLine() throws(ParseError) -> Event? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            // A blank line dispatches the event, if it has data.
            defer { name = ""; data = []; hasData = false }
            return hasData ? Event(name: name.isEmpty ? "message" : name, data: data) : nil
        }
        if line.first == UInt8(ascii: ":") { return nil }
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        let field = String(decoding: line[..<colon], as: UTF8.self)
        var value = colon < line.endIndex ? line[(colon + 1)...] : []
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        switch field {
        case "event": name = String(decoding: value, as: UTF8.self)
        case "data":
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
            if data.count > maxEventBytes { throw .eventTooLarge(limit: maxEventBytes) }
        default: break
        }
        return nil
    }
}
