import AgionBus
import AgionContract
import AgionRuntime
import AgionStore
import ServiceLifecycle

/// The coordination service: missions as event-sourced DAGs of steps
/// (docs/missions.md). It decides (MissionsCore), stores each mission's
/// events with its projection, hands ready steps to execution through the
/// AGION_STEPS work queue, and follows execution's reports.
///
/// `build` is what `main` and the integration tests call.
public enum Coordination: ServiceDefinition {
    public static let serviceName = "coordination"
    public static let adminPort = 9103

    public static func build(runtime: ServiceRuntime, configuration: CoordinationConfiguration) async throws -> [any Service] {
        let schema = configuration.schema
        try await runtime.migrate(schema: schema, CoordinationMigrations.all)
        // Execution's reports: a short ack wait (handling one is a read and a
        // transaction), generous deliveries (a report must not be lost to a
        // database restart), and from the durable's creation on (reports
        // older than this deployment's schema are of missions it never had).
        let reports = ConsumerSpec(stream: ExecutionSubjects.stream, durable: "coordination_reports_\(schema)", ackWait: .seconds(10), maxDeliver: 100,
                                   startsAtNew: true)
        try await runtime.provision(streams: [EventStreams.missions, EventStreams.steps, EventStreams.execution, OutputStore.stream],
                                    consumers: [reports])

        let logger = runtime.logger
        let store = MissionStore(pool: runtime.store, schema: schema, dispatchWindow: configuration.dispatchWindow, limits: configuration.tenantLimits)
        let load = AgentLoadTracker()
        let catalog = AgentCatalog(bus: runtime.bus, load: load, ttl: configuration.agentCacheTTL, timeout: configuration.registryTimeout, logger: logger)
        let sweeper = TimerSweeper(store: store, pollInterval: configuration.timerPollInterval, clock: configuration.clock, logger: logger)
        let dispatcher = StepDispatcher(pool: runtime.store, schema: schema, window: configuration.dispatchWindow, limits: configuration.tenantLimits,
                                        pollInterval: configuration.dispatchPollInterval, logger: logger)
        let runner = MissionRunner(store: store, agents: catalog, bus: runtime.bus, logger: logger, clock: configuration.clock,
                                   limits: configuration.tenantLimits, dispatchWakeup: { dispatcher.wake() }) { sweeper.timerSet(dueAt: $0) }
        sweeper.attach(runner)
        let handlers = CoordinationHandlers(runner: runner, store: store)
        let scheduleStore = ScheduleStore(pool: runtime.store, schema: schema)
        let schedules = ScheduleRunner(store: scheduleStore, missions: runner, pollInterval: configuration.schedulePollInterval, logger: logger)
        let scheduleHandlers = ScheduleHandlers(store: scheduleStore, runner: schedules, clock: configuration.clock)
        // Several fetch loops: reports of different missions are independent,
        // and one mission's are ordered by its optimistic concurrency.
        let consumer = try await EventConsumer(jetStream: runtime.bus.jetStream, spec: reports, concurrency: 4, batch: 64, logger: logger) { envelope, _ in
            guard let (mission, command) = try AttemptReports.command(envelope) else { return }
            if try await runner.handle(command, mission: mission, tenant: envelope.tenant, cause: envelope) == nil {
                logger.warning("coordination.report_for_unknown_mission", metadata: ["mission.id": "\(mission)", "tenant": "\(envelope.tenant)"])
            }
        }
        let relay = try OutboxRelay(pool: runtime.store, jetStream: runtime.bus.jetStream, schema: schema, logger: logger)
        let retention = OutputRetention(pool: runtime.store, schema: schema, outputs: OutputStore(jetStream: runtime.bus.jetStream),
                                        limits: configuration.tenantLimits, clock: configuration.clock, interval: configuration.outputSweepInterval,
                                        logger: logger)
        // Start order; they stop in reverse: responders first, then the
        // consumer and timers finish what they hold, the relay publishes last.
        return [
            OutboxRelayService(relay),
            sweeper,
            dispatcher,
            schedules,
            retention,
            EventConsumerService(consumer),
            BroadcastListener(bus: runtime.bus, subject: ExecutionSubjects.eventSubjects) { load.heard($0) },
            RPCService(bus: runtime.bus, queue: CoordinationSubjects.queue, methods: handlers.methods + scheduleHandlers.methods),
        ]
    }

    /// NATS and PostgreSQL are required; coordination does not use Redis.
    public static func readinessChecks(_ runtime: ServiceRuntime) -> [ReadinessCheck] {
        [.nats(runtime.bus), .postgres(runtime.store)]
    }
}
