import AgionBus
import AgionContract
import AgionEnvelope
import AgionRuntime
import Foundation
import Testing

extension ProcessStackSuites {
    /// Dead letters in a stack started the way `make up` starts it (services as
    /// processes, nothing provisioned by a test): the services declare
    /// `AGION_DLQ` themselves, and a poison event, or one from a schema version
    /// they do not know, is stored there and acked instead of holding the
    /// consumer's ack floor or being applied.
    @Suite(.timeLimit(.minutes(4))) struct RunningStackDeadLetterTests {
        @Test func poisonAndFutureEventsAreDeadLetteredAndAckedNotAppliedOrRetriedForever() async throws {
            try await ChildStack.with(replicas: 1) { try await run($0) }
        }

        private func run(_ stack: ChildStack) async throws {
            let bus = try await stack.bus()
            // Nobody but the services declared it.
            #expect(try await bus.jetStream.messageCount(stream: DeadLetters.stream.name) == 0)
            let tenant = TestEnvironment.uniqueName("dl")
            _ = try await bus.call(GovernanceSubjects.putPolicy, PutPolicyRequest(document: "rules: [{id: all, effect: allow}]"), tenant: tenant,
                                   as: PolicyRevision.self)
            let consumer = "governance_agents_\(stack.governanceSchema)"
            let letters = try await EventReader.open(bus, stream: DeadLetters.stream, subject: "agion.dlq.\(RegistrySubjects.stream).\(consumer)")

            // 1. Bytes that are no envelope, on the registry's event stream.
            let poisonSubject = RegistrySubjects.eventSubject(tenant: tenant, event: "agent_registered")
            let poison = try await bus.jetStream.publishRaw(poisonSubject, bytes: [0xDE, 0xAD, 0xBE, 0xEF])
            let first = try await letters.nextMessages(1)
            #expect(first[0].header(DeadLetters.Header.originalSubject) == poisonSubject)
            #expect(first[0].header(DeadLetters.Header.originalSequence) == String(poison.sequence))
            #expect(first[0].bytes == [0xDE, 0xAD, 0xBE, 0xEF])
            try await eventually("the consumer's ack floor passes the poison event") {
                let state = try await bus.jetStream.consumerState(stream: RegistrySubjects.stream, durable: consumer)
                return state.ackFloor >= poison.sequence && state.ackPending == 0
            }

            // 2. A well-formed registration from a schema version governance does not know.
            let future = try AgentID(container: "future", name: "agent")
            let now = Envelope.nowUnixNanos()
            let record = AgentRecord(agent: Agent(id: future, type: "llm", capabilities: ["x"], version: "1", endpoint: .http(baseURL: "http://future:1")),
                                     status: .healthy, revision: 1, registeredAtUnixNanos: now, updatedAtUnixNanos: now, lastHeartbeatUnixNanos: now)
            let event = Envelope(type: RegistrySubjects.EventType.agentRegistered, schemaVersion: 99, tenant: tenant,
                                 payload: try AgentRegistered(record: record).encoded())
            let published = try await bus.jetStream.publish(poisonSubject, event)
            let second = try await letters.nextMessages(1)
            #expect(second[0].header(DeadLetters.Header.originalSequence) == String(published.sequence))
            #expect(second[0].header(DeadLetters.Header.error)?.contains("version 99") == true, "\(second[0].header(DeadLetters.Header.error) ?? "")")
            try await eventually("the consumer's ack floor passes the future event") {
                let state = try await bus.jetStream.consumerState(stream: RegistrySubjects.stream, durable: consumer)
                return state.ackFloor >= published.sequence && state.ackPending == 0
            }
            // Not applied: the agent is still unknown to governance.
            let decision = try await bus.call(GovernanceSubjects.check, CheckRequest(agentID: future, action: "a"), tenant: tenant, as: Decision.self)
            #expect(decision.effect == .deny && decision.reasons.contains { $0.contains("not registered") }, "\(decision.reasons)")

            // 3. The same registration at version 1 is applied: nothing is stuck.
            var current = event
            current.id = UUIDv7.make()
            current.schemaVersion = 1
            _ = try await bus.jetStream.publish(poisonSubject, current)
            try await eventually("the version-1 registration is applied") {
                try await bus.call(GovernanceSubjects.check, CheckRequest(agentID: future, action: "a"), tenant: tenant, as: Decision.self).effect == .allow
            }
            #expect(try await letters.isQuiet())
            try stack.expectAllRunning("after the dead letters")
            await letters.close()
            try await bus.drain()
        }
    }
}


extension EventReader {
    /// Exactly `count` messages, headers and all (fails if fewer arrive in `timeout`), acked.
    func nextMessages(_ count: Int, timeout: Duration = .seconds(15)) async throws -> [JetStreamMessage] {
        var messages: [JetStreamMessage] = []
        let deadline = ContinuousClock.now + timeout
        while messages.count < count, ContinuousClock.now < deadline {
            for message in try await consumer.fetch(max: count - messages.count, timeout: .milliseconds(250)) {
                try message.ack()
                messages.append(message)
            }
        }
        guard messages.count == count else { throw TestFailure("expected \(count) messages on \(stream), got \(messages.count)") }
        return messages
    }
}
