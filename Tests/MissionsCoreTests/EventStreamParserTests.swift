@testable import MissionsCore
import Testing

/// An HTTP agent's streamed answer, read as it arrives in any chunking.
@Suite struct EventStreamParserTests {
    static let stream = Array("""
        : a comment\r
        event: progress\r
        data: {"text":"Sol"}\r
        \r
        event: progress
        id: 7
        data: {"text":
        data: "ar"}

        data: no name

        event: result
        data:{"output":1}


        """.utf8)

    @Test func everyChunkingGivesTheSameEvents() throws {
        var whole = EventStreamParser(maxEventBytes: 1_024)
        let expected = try whole.feed(Self.stream)
        #expect(expected.map(\.name) == ["progress", "progress", "message", "result"])
        #expect(expected.map { String(decoding: $0.data, as: UTF8.self) } == [#"{"text":"Sol"}"#, "{\"text\":\n\"ar\"}", "no name", #"{"output":1}"#])
        for size in [1, 2, 3, 7, 64] {
            var parser = EventStreamParser(maxEventBytes: 1_024)
            var events: [EventStreamParser.Event] = []
            var start = 0
            while start < Self.stream.count {
                events += try parser.feed(Self.stream[start..<min(start + size, Self.stream.count)])
                start += size
            }
            #expect(events == expected, "chunks of \(size)")
        }
    }

    @Test func anEventPastTheLimitIsAnError() {
        var parser = EventStreamParser(maxEventBytes: 16)
        #expect(throws: EventStreamParser.ParseError.eventTooLarge(limit: 16)) {
            _ = try parser.feed(Array("data: 0123456789\ndata: 0123456789\n\n".utf8))
        }
        var long = EventStreamParser(maxEventBytes: 16)
        #expect(throws: EventStreamParser.ParseError.self) { _ = try long.feed(Array(repeating: UInt8(ascii: "x"), count: 100)) }
    }
}
