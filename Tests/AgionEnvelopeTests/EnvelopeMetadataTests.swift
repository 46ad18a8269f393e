import AgionEnvelope
import Foundation
import Testing

@Suite struct EnvelopeMetadataTests {
    @Test func uuidV7HasVersionVariantAndTime() throws {
        let id = UUIDv7.make(unixMillis: 1_763_700_000_123)
        #expect(id.uuid.6 >> 4 == 7)
        #expect(id.uuid.8 >> 6 == 0b10)
        #expect(UUIDv7.unixMillis(of: id) == 1_763_700_000_123)
    }

    @Test func uuidV7SortsByTime() {
        let earlier = UUIDv7.make(unixMillis: 1_000).lowercasedString
        let later = UUIDv7.make(unixMillis: 2_000).lowercasedString
        #expect(earlier < later)
    }

    @Test func canonicalUUIDTextMatchesFoundationAndParsesBothCases() {
        for _ in 0..<1_000 {
            let id = UUID()
            #expect(id.lowercasedString == id.uuidString.lowercased())
            #expect(UUID(canonical: id.lowercasedString) == id)
            #expect(UUID(canonical: id.uuidString) == id)
        }
        #expect(UUID(canonical: "0190f3a2-7b1c-7def-8123-456789abcde") == nil)
        #expect(UUID(canonical: "0190f3a2x7b1c-7def-8123-456789abcdef") == nil)
        #expect(UUID(canonical: "0190f3a2-7b1c-7def-8123-456789abcdeg") == nil)
        #expect(UUID(canonical: "") == nil)
    }

    @Test func uuidV7IdsDoNotRepeat() {
        let ids = Set((0..<10_000).map { _ in UUIDv7.make() })
        #expect(ids.count == 10_000)
    }

    @Test func traceparentParsesValidAndRejectsInvalid() {
        let valid = Traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        #expect(valid?.traceID == "0af7651916cd43dd8448eb211c80319c")
        #expect(valid?.sampled == true)
        #expect(Traceparent("00-00000000000000000000000000000000-b7ad6b7169203331-01") == nil)
        #expect(Traceparent("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01") == nil)
        #expect(Traceparent("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") == nil)
        #expect(Traceparent("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01") == nil)
        #expect(Traceparent("garbage") == nil)
        #expect(Traceparent(Traceparent.makeRoot().description) != nil)
        // Flags: only the sampled bit is read; a later version may carry more after its flags.
        #expect(Traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")?.sampled == false)
        #expect(Traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03")?.sampled == true)
        #expect(Traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-more")?.parentID == "b7ad6b7169203331")
        #expect(Traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01more") == nil)
        #expect(Traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-more") == nil, "version 00 is exactly four fields")
        #expect(Traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g") == nil)
        #expect(Traceparent("0-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x") == nil)
        #expect(Traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01") == nil)
        #expect(Traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1") == nil)
        #expect(Traceparent("00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") == nil)
        #expect(Traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-é") == nil)
    }

    @Test func upcasterAppliesStepsInOrder() throws {
        var upcaster = EnvelopeUpcaster()
        upcaster.declare(type: "agion.x", currentVersion: 3)
        upcaster.register(type: "agion.x", from: 1) { var e = $0; e.schemaVersion = 2; e.payload += [2]; return e }
        upcaster.register(type: "agion.x", from: 2) { var e = $0; e.schemaVersion = 3; e.payload += [3]; return e }
        let result = try upcaster.upcast(Envelope(type: "agion.x", schemaVersion: 1, tenant: "t", payload: [1]))
        #expect(result.schemaVersion == 3)
        #expect(result.payload == [1, 2, 3])
    }

    @Test func upcasterRejectsNewerVersionsAndGaps() {
        var upcaster = EnvelopeUpcaster()
        upcaster.declare(type: "agion.x", currentVersion: 3)
        upcaster.register(type: "agion.x", from: 2) { var e = $0; e.schemaVersion = 3; return e }
        #expect(throws: EnvelopeError.self) { try upcaster.upcast(Envelope(type: "agion.x", schemaVersion: 4, tenant: "t")) }
        #expect(throws: EnvelopeError.self) { try upcaster.upcast(Envelope(type: "agion.x", schemaVersion: 1, tenant: "t")) }
    }

    @Test func aVersionNewerThanTheReaderKnowsIsRefusedForUndeclaredTypesToo() throws {
        // Undeclared types are at version 1: 99 was once applied as if it were 1.
        let upcaster = EnvelopeUpcaster()
        #expect(throws: EnvelopeError.self) { try upcaster.upcast(Envelope(type: "agion.registry.agent_registered", schemaVersion: 99, tenant: "t")) }
        #expect(throws: EnvelopeError.self) { try upcaster.upcast(Envelope(type: "agion.other", schemaVersion: 2, tenant: "t")) }
        #expect(try upcaster.upcast(Envelope(type: "agion.other", schemaVersion: 1, tenant: "t")).schemaVersion == 1)
        // Unset (proto3's 0) reads as version 1.
        #expect(try upcaster.upcast(Envelope(type: "agion.other", schemaVersion: 0, tenant: "t")).schemaVersion == 1)
    }

    @Test func aDerivedUUIDv7IsDeterministicTimeOrderedAndVersion7() {
        let digest = (0..<32).map { UInt8($0 * 7 % 256) }
        let id = UUIDv7.derived(unixMillis: 1_764_800_000_123, digest: digest)
        #expect(id == UUIDv7.derived(unixMillis: 1_764_800_000_123, digest: digest))
        #expect(id != UUIDv7.derived(unixMillis: 1_764_800_000_123, digest: digest.reversed()))
        #expect(UUIDv7.unixMillis(of: id) == 1_764_800_000_123)
        #expect(id.uuid.6 >> 4 == 7 && id.uuid.8 >> 6 == 0b10)
        #expect(id.lowercasedString < UUIDv7.derived(unixMillis: 1_764_800_000_124, digest: digest).lowercasedString)
    }
}
