import AgionBus
import AgionContract
import AgionRuntime
import AgionStore
import GovernanceCore
import ServiceLifecycle

/// The governance service: checks, policies, output validation, trust and the
/// audit trail (docs/governance.md).
///
/// `build` is what `main` and the integration tests call: it migrates the
/// schema, provisions the streams and the consumer of registry events, opens
/// the audit spool, and returns the services to run.
public enum Governance: ServiceDefinition {
    public static let serviceName = "governance"
    public static let adminPort = 9102

    public static func build(runtime: ServiceRuntime, configuration: GovernanceConfiguration) async throws -> [any Service] {
        let schema = configuration.schema
        try await runtime.migrate(schema: schema, GovernanceMigrations.all)
        // A short ack wait: an event fetched by a replica that then stopped comes
        // back after 5 s, not 30 (handling one is a single upsert).
        let agentEvents = ConsumerSpec(stream: RegistrySubjects.stream, durable: "governance_agents_\(schema)", ackWait: .seconds(5), maxDeliver: 10)
        try await runtime.provision(streams: [EventStreams.registry, EventStreams.governance], consumers: [agentEvents])

        let logger = runtime.logger
        let spool = try AuditSpool(directory: configuration.spoolDirectory, fsync: configuration.auditFsync)
        let wakeup = Wakeup()
        let ledger = AuditLedger(schema: schema)
        let policyStore = PolicyStore(pool: runtime.store, schema: schema)
        let cache = PolicyCache(store: policyStore, bus: runtime.bus, interval: configuration.policyPollInterval, logger: logger)
        try await cache.start()
        let directory = AgentDirectory(bus: runtime.bus, memoryTTL: configuration.standingMemoryTTL, redis: runtime.cache, pool: runtime.store, schema: schema, keyPrefix: configuration.cachePrefix, logger: logger)
        let health = StoreHealth(pool: runtime.store, logger: logger)
        let decider = Decider(policies: cache, directory: directory, limiter: RateLimiter(redis: runtime.cache, keyPrefix: configuration.cachePrefix),
                              spool: spool, shipperWakeup: wakeup, storeHealth: health, model: configuration.trustModel,
                              auditEnabled: configuration.auditEnabled, logger: logger)
        if !configuration.auditEnabled { logger.critical("governance.audit_disabled", metadata: ["reason": "AGION_GOVERNANCE_AUDIT=off (benchmarking only)"]) }
        let signer = try SigningKeyFile.load(path: configuration.auditSigningKeyFile ?? configuration.spoolDirectory + "/audit-signing-key.pem")
        logger.info("audit.signing_key", metadata: ["key_id": "\(signer.keyID)"])
        let verifier = AuditVerifier(pool: runtime.store, schema: schema, logger: logger)
        let handlers = GovernanceHandlers(pool: runtime.store, policies: policyStore, cache: cache, decider: decider, directory: directory,
                                          ledger: ledger, trust: TrustLedger(schema: schema, model: configuration.trustModel),
                                          validator: OutputValidator(), outputs: OutputStore(jetStream: runtime.bus.jetStream),
                                          proofs: AuditProofs(pool: runtime.store, store: AuditTreeStore(schema: schema), logger: logger),
                                          verifier: verifier,
                                          archives: AuditArchives(pool: runtime.store, store: AuditTreeStore(schema: schema), signer: signer, logger: logger))
        let registryEvents = RegistryEventHandler(pool: runtime.store, schema: schema, directory: directory)
        // Concurrent: the upsert is order-safe (newer event wins), and a new
        // replica may have the whole registry history to catch up on.
        let consumer = try await EventConsumer(jetStream: runtime.bus.jetStream, spec: agentEvents, concurrency: 4, batch: 256,
                                               logger: logger) { envelope, _ in
            try await registryEvents.handle(envelope)
        }
        let treeBuilder = AuditTreeBuilder(pool: runtime.store, schema: schema, signer: signer, interval: configuration.auditHeadInterval, logger: logger)
        let relay = try OutboxRelay(pool: runtime.store, jetStream: runtime.bus.jetStream, schema: schema, logger: logger)
        // Start order; they stop in reverse: responders first, then the
        // shipper flushes the spool, and the relay publishes the last events.
        return [
            OutboxRelayService(relay),
            AuditShipper(spool: spool, ledger: ledger, pool: runtime.store, jetStream: runtime.bus.jetStream, wakeup: wakeup, logger: logger,
                         gatherDelay: configuration.auditGather),
            treeBuilder,
            verifier,
            health,
            cache,
            BroadcastListener(bus: runtime.bus, subject: AgentDirectory.changedSubject) { directory.heard($0) },
            EventConsumerService(consumer),
            RPCService(bus: runtime.bus, queue: GovernanceSubjects.queue, methods: handlers.methods),
            BlockingRPCService(bus: runtime.bus, subject: GovernanceSubjects.check, queue: GovernanceSubjects.queue,
                               threads: configuration.checkThreads, callableByAgents: true, batchHandler: decider.check(batch:), handler: decider.check),
        ]
    }

    /// NATS and PostgreSQL are required; Redis is optional (checks read from
    /// PostgreSQL without it), so its absence makes the service `degraded`.
    public static func readinessChecks(_ runtime: ServiceRuntime) -> [ReadinessCheck] {
        runtime.standardChecks(redisRequired: false)
    }
}
