import AgionBus
import AgionContract
import AgionEnvelope
import AgionJSON
import Foundation
import Testing

extension ProcessStackSuites {
    /// Whatever arrives on a service's subjects, it answers and keeps serving:
    /// every `agion.rpc.*` subject the running services subscribe to (read from
    /// nats-server itself, so a new method is fuzzed without anyone listing it)
    /// gets random bytes, nothing, 1 MiB, envelopes with garbage payloads, and
    /// nesting 10,000 levels deep in every field that can nest. The services run
    /// as processes: a crash is a dead process, not a dead test runner.
    @Suite(.timeLimit(.minutes(6))) struct NATSFuzzTests {
        @Test func everyRPCSubjectAnswersHostileInputAndTheServicesKeepServing() async throws {
            try await ChildStack.with(replicas: 1, missions: true) { try await fuzz($0) }
        }

        private func fuzz(_ stack: ChildStack) async throws {
            let bus = try await stack.bus()
            let tenant = TestEnvironment.uniqueName("fz")
            // A tenant with a policy whose output rule makes validate parse JSON output.
            _ = try await bus.call(GovernanceSubjects.putPolicy, PutPolicyRequest(document: """
                rules: [{id: all, effect: allow}]
                output: [{id: shape, require_fields: [result]}]
                """), tenant: tenant, as: PolicyRevision.self)
            let subjects = try await rpcSubjects(stack)
            #expect(subjects.contains(GovernanceSubjects.check) && subjects.contains(EnvelopeBatch.subject(for: GovernanceSubjects.check)))
            #expect(subjects.contains(RegistrySubjects.register) && subjects.contains(GovernanceSubjects.explain))
            #expect(subjects.contains(CoordinationSubjects.submit) && subjects.contains(CoordinationSubjects.replay))

            var generator = SystemRandomNumberGenerator()
            for subject in subjects {
                var inputs = HostileInput.raw(using: &generator).map { ("raw", $0) }
                inputs += HostileInput.envelopes(tenant: tenant, using: &generator).map { ("envelope", $0) }
                // Deep bytes in unknown or non-message fields are skipped unread,
                // so those may be answered; deep values in fields that nest may not.
                inputs += HostileInput.deepAnywhere(for: subject, tenant: tenant).map { ("deep bytes", $0) }
                inputs += HostileInput.deep(for: subject, tenant: tenant).map { ("deep", $0) }
                for (kind, bytes) in inputs {
                    let outcomes: [String]
                    do {
                        let reply = try await bus.request(subject, bytes: bytes, timeout: .seconds(10))
                        // A batch is answered with a batch: one reply per request in it.
                        if reply.type == EnvelopeBatch.envelopeType {
                            outcomes = try EnvelopeBatch(decoding: reply.payload).envelopes.map { item in
                                let inner = try Envelope(decoding: item)
                                return inner.type == ErrorReply.envelopeType ? try ErrorReply(decoding: inner.payload).code.wire : "ok"
                            }
                        } else {
                            outcomes = ["ok"]
                        }
                    } catch let error as BusError where error.code == .remote {
                        outcomes = [error.remote?.code.wire ?? "?"]
                    } catch {
                        try stack.expectAllRunning("after \(kind) input of \(bytes.count) bytes on \(subject)")
                        Issue.record("\(subject): \(kind) input of \(bytes.count) bytes got no reply: \(error)")
                        continue
                    }
                    #expect(!outcomes.contains(ErrorReply.Code.internalError.wire), "\(subject): \(kind) input of \(bytes.count) bytes answered internal")
                    if kind == "deep" || (kind == "raw" && !bytes.isEmpty) {
                        #expect(!outcomes.contains("ok"), "\(subject): \(kind) input of \(bytes.count) bytes was accepted: \(outcomes)")
                    }
                }
                try stack.expectAllRunning("after fuzzing \(subject)")
                // Still serving: a good request to each service is answered.
                _ = try await bus.call(RegistrySubjects.list, ListAgentsRequest(), tenant: tenant, as: ListAgentsResponse.self)
                _ = try await bus.call(GovernanceSubjects.listPolicies, ListPolicyRevisionsRequest(), tenant: tenant, as: ListPolicyRevisionsResponse.self)
                _ = try await bus.request(CoordinationSubjects.list, Envelope(type: "agion.v1.ListMissionsRequest", tenant: tenant,
                                                                            payload: try ProtoSchema.encode(ProtoMessage("agion.v1.ListMissionsRequest"))))
            }
            try await bus.drain()
        }

        /// The `agion.rpc.*` subjects somebody subscribes to on this server.
        private func rpcSubjects(_ stack: ChildStack) async throws -> [String] {
            let subsz = try await HTTPClient.send("GET", "http://127.0.0.1:\(stack.nats.monitorPort)/subsz?subs=1&limit=10000")
            guard case .array(let list)? = subsz.json?["subscriptions_list"] else { throw TestFailure("no subscriptions list: \(subsz.text.prefix(500))") }
            return Set(list.compactMap { $0["subject"]?.stringValue }.filter { $0.hasPrefix("agion.rpc.") }).sorted()
        }
    }
}


/// Inputs no client should send.
enum HostileInput {
    static func random(_ count: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// Not envelopes: nothing, random bytes of many lengths, 1 MiB.
    static func raw(using generator: inout some RandomNumberGenerator) -> [[UInt8]] {
        [[]] + (0..<12).map { _ in random(Int.random(in: 1...2_000, using: &generator), using: &generator) } + [random(1 << 20, using: &generator)]
    }

    /// Valid envelopes carrying garbage: random payloads, a 1 MiB one, and
    /// versions this reader cannot know.
    static func envelopes(tenant: String, using generator: inout some RandomNumberGenerator) -> [[UInt8]] {
        var payloads = (0..<12).map { _ in random(Int.random(in: 0...2_000, using: &generator), using: &generator) }
        payloads.append(random(1 << 20, using: &generator))
        var envelopes = payloads.map { try! Envelope(type: "fuzz", tenant: tenant, payload: $0).encoded() }
        envelopes.append(try! Envelope(type: "fuzz", schemaVersion: 99, tenant: tenant, payload: []).encoded())
        envelopes.append(try! Envelope(type: "fuzz", tenant: "", payload: random(64, using: &generator)).encoded())
        return envelopes
    }

    /// Nesting 10,000 levels deep: as the payload itself (whatever the
    /// method's message, its fields are read as far as they go), and in each
    /// field of the method that can nest (a check's context, a policy
    /// document, a JSON output), wrapped in a batch for batch subjects.
    static func deepAnywhere(for subject: String, tenant: String) -> [[UInt8]] {
        wrap([deepValue(levels: 10_000), deepMessage(levels: 10_000)], for: subject, tenant: tenant)
    }

    static func deep(for subject: String, tenant: String) -> [[UInt8]] {
        let levels = 10_000
        let value = deepValue(levels: levels)
        var payloads: [[UInt8]] = []
        let yaml = String(repeating: "[", count: levels) + String(repeating: "]", count: levels)
        let json = String(repeating: "{\"a\":", count: levels) + "1" + String(repeating: "}", count: levels)
        var bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...30 { bomb += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n" }
        let check = checkRequest(context: value)
        let base = subject.hasSuffix(".batch") ? String(subject.dropLast(6)) : subject
        switch base {
        case GovernanceSubjects.check:
            payloads.append(check)
        case GovernanceSubjects.explain:
            payloads.append(field(1, check))
            for document in [yaml, json, bomb] { payloads.append(field(1, checkRequest(context: [])) + field(2, Array(document.utf8))) }
        case GovernanceSubjects.putPolicy:
            for document in [yaml, json, bomb] { payloads.append(field(1, Array(document.utf8))) }
        case GovernanceSubjects.validate:
            for output in [yaml, json] {
                payloads.append(field(1, Array("fz:agent".utf8)) + field(2, Array("a".utf8)) + field(3, Array(output.utf8))
                                + field(4, Array("application/json".utf8)))
            }
        case CoordinationSubjects.submit:
            // The mission's input, and a step's input template.
            let plain = field(1, Array("s".utf8)) + field(2, Array("c".utf8)) + field(4, Array("c.run".utf8))
            payloads.append(field(1, field(2, value) + field(7, plain)))
            payloads.append(field(1, field(7, plain + field(5, value))))
        default:
            break
        }
        return wrap(payloads, for: subject, tenant: tenant)
    }

    /// Payloads as request envelopes, and in batches for a batch subject.
    static func wrap(_ payloads: [[UInt8]], for subject: String, tenant: String) -> [[UInt8]] {
        guard !payloads.isEmpty else { return [] }
        let envelopes = payloads.map { try! Envelope(type: "fuzz", tenant: tenant, payload: $0).encoded() }
        guard subject.hasSuffix(".batch") else { return envelopes }
        let batch = envelopes.map { try! Envelope(type: EnvelopeBatch.envelopeType, tenant: tenant, payload: EnvelopeBatch(envelopes: [$0]).encoded()).encoded() }
        return batch + [try! Envelope(type: EnvelopeBatch.envelopeType, tenant: tenant, payload: EnvelopeBatch(envelopes: envelopes).encoded()).encoded()]
    }

    /// `agion.v1.Value` holding lists `levels` deep, built from the inside out.
    static func deepValue(levels: Int) -> [UInt8] {
        var value: [UInt8] = [0x10, 0x01]
        for _ in 0..<levels { value = field(5, field(1, value)) }
        return value
    }

    /// Field 1 inside field 1, `levels` deep: nests in any message whose field 1 is one.
    static func deepMessage(levels: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<levels { bytes = field(1, bytes) }
        return bytes
    }

    /// A CheckRequest whose context holds `value` under key `x`.
    static func checkRequest(context value: [UInt8]) -> [UInt8] {
        let entry = field(1, Array("x".utf8)) + (value.isEmpty ? [] : field(2, value))
        return field(1, Array("fz:agent".utf8)) + field(2, Array("a".utf8)) + field(3, field(1, entry))
    }

    /// A length-delimited field.
    static func field(_ number: UInt64, _ bytes: [UInt8]) -> [UInt8] {
        varint(number << 3 | 2) + varint(UInt64(bytes.count)) + bytes
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value, out: [UInt8] = []
        repeat {
            out.append(UInt8(value & 0x7F) | (value >= 0x80 ? 0x80 : 0))
            value >>= 7
        } while value > 0
        return out
    }
}
