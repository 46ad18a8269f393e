import AgionBus
import AgionContract
import AgionRuntime
import AgionStore
import AsyncHTTPClient
import ServiceLifecycle

/// The execution service: runs the steps of missions, one attempt per work
/// message from the AGION_STEPS work queue, every replica competing on one
/// shared durable (docs/missions.md, docs/agent-contract.md).
///
/// `build` is what `main` and the integration tests call.
public enum Execution: ServiceDefinition {
    public static let serviceName = "execution"
    public static let adminPort = 9104

    public static func build(runtime: ServiceRuntime, configuration: ExecutionConfiguration) async throws -> [any Service] {
        try await runtime.migrate(schema: configuration.schema, ExecutionMigrations.all)
        // One durable shared by every replica: a step runs on one of them at a
        // time. The ack wait is a lease the runner renews every 10 s while an
        // agent works; a replica that dies mid-attempt gives the work back
        // after it. A message whose attempt crashes replicas five times is
        // dead-lettered (the MAX_DELIVERIES advisory).
        let work = ConsumerSpec(stream: ExecutionSubjects.workStream, durable: configuration.consumer, ackWait: .seconds(30), maxDeliver: 5,
                                maxAckPending: 10_000)
        try await runtime.provision(streams: [EventStreams.steps, EventStreams.execution, OutputStore.stream], consumers: [work])

        let logger = runtime.logger
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(5))))
        let running = RunningAttempts()
        let runner = StepRunner(bus: runtime.bus, invoker: AgentInvoker(http: http, bus: runtime.bus, maxOutputBytes: configuration.maxOutputBytes,
                                                                              progress: ProgressRelay(bus: runtime.bus, logger: logger)),
                                outputs: StepOutputs(store: OutputStore(jetStream: runtime.bus.jetStream), inlineBytes: configuration.inlineOutputBytes),
                                log: AttemptLog(pool: runtime.store, schema: configuration.schema), running: running,
                                governanceTimeout: configuration.governanceTimeout, startedReportDelay: configuration.startedReportDelay, logger: logger)
        // One message at a time per loop, as many loops as attempts may run at once.
        let consumer = try await EventConsumer(jetStream: runtime.bus.jetStream, spec: work, concurrency: configuration.concurrency, batch: 1,
                                               logger: logger) { envelope, delivery in
            try await runner.run(envelope, delivery: delivery)
        }
        let relay = try OutboxRelay(pool: runtime.store, jetStream: runtime.bus.jetStream, schema: configuration.schema, logger: logger)
        return [
            HTTPClientService(client: http),
            OutboxRelayService(relay),
            BroadcastListener(bus: runtime.bus, subject: ExecutionSubjects.cancelSubject) { cancel in
                let mission = String(decoding: cancel.payload, as: UTF8.self)
                let stopped = running.stop(mission: mission)
                if stopped > 0 { logger.info("execution.attempts_stopped", metadata: ["mission.id": "\(mission)", "attempts": "\(stopped)"]) }
            },
            EventConsumerService(consumer),
        ]
    }

    /// NATS and PostgreSQL are required; execution does not use Redis.
    public static func readinessChecks(_ runtime: ServiceRuntime) -> [ReadinessCheck] {
        [.nats(runtime.bus), .postgres(runtime.store)]
    }
}

/// Shuts the HTTP client down when the service stops (after the consumer,
/// which stops first and lets its attempts finish).
struct HTTPClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try? await client.shutdown()
    }
}
