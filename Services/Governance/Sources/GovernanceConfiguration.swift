import AgionRuntime
import GovernanceCore

/// Governance's own settings, on top of `ServiceConfiguration`.
///
/// | Key | Type | Default |
/// |-----|------|---------|
/// | `AGION_GOVERNANCE_SCHEMA` | PostgreSQL identifier | `governance` |
/// | `AGION_GOVERNANCE_SPOOL_DIR` | directory, one per replica | `.run/governance-spool` |
/// | `AGION_GOVERNANCE_AUDIT_FSYNC` | `true` / `false` | `false` |
/// | `AGION_GOVERNANCE_CHECK_THREADS` | int ≥ 1 | number of cores |
/// | `AGION_GOVERNANCE_POLICY_POLL_MS` | int ≥ 1 | `500` |
/// | `AGION_GOVERNANCE_CACHE_PREFIX` | Redis key prefix | `agion:gov` |
/// | `AGION_GOVERNANCE_TRUST_HALF_LIFE_HOURS` | int ≥ 1 | `168` (7 days) |
/// | `AGION_GOVERNANCE_STANDING_MEMORY_MS` | int ≥ 0 (0: every check reads Redis) | `1000` |
/// | `AGION_GOVERNANCE_AUDIT` | `on` / `off` (off only to measure the audit's cost) | `on` |
/// | `AGION_GOVERNANCE_AUDIT_SIGNING_KEY_FILE` | PEM Ed25519 private key (made if missing) | `<spool dir>/audit-signing-key.pem` |
/// | `AGION_GOVERNANCE_AUDIT_HEAD_MS` | int ≥ 1: how often the audit tree grows and a head is signed | `1000` |
/// | `AGION_GOVERNANCE_AUDIT_GATHER_MS` | int ≥ 1: how long decisions gather into one PostgreSQL transaction | `250` |
public struct GovernanceConfiguration: EnvironmentConfiguration, Sendable {
    public var schema = "governance"
    /// The replica's audit spool (a write-ahead log of decisions). Each
    /// replica needs its own; keep it on a volume that survives restarts.
    public var spoolDirectory = ".run/governance-spool"
    /// Flush the spool to disk before each reply: survives power loss, costs a disk flush per check.
    public var auditFsync = false
    /// Threads answering checks (blocking responder threads).
    public var checkThreads = System.coreCount
    /// How often a replica looks for policy activations made on any replica.
    public var policyPollInterval: Duration = .milliseconds(500)
    public var cachePrefix = "agion:gov"
    /// How long a replica keeps an agent's standing (status and trust
    /// evidence) in memory. Changes are pushed to every replica at once; this
    /// bounds staleness if a notification is lost. Zero: read Redis every check.
    public var standingMemoryTTL: Duration = .seconds(1)
    public var trustModel = TrustModel()
    /// Off only to measure what the audit costs (`make bench`): decisions are
    /// then not recorded at all, which no deployment should accept.
    public var auditEnabled = true
    /// The Ed25519 key that signs audit tree heads (PKCS #8 PEM, as `openssl
    /// genpkey -algorithm ed25519` writes). Nil: a key in the spool
    /// directory, made on first start. Share one key between replicas (a
    /// Kubernetes Secret) or give each its own: heads name their key.
    public var auditSigningKeyFile: String?
    /// How often the audit's Merkle tree catches up with the chain and a new head is signed.
    public var auditHeadInterval: Duration = .seconds(1)
    /// How long the shipper lets decisions gather before one transaction
    /// takes them into the chain: longer means fewer transactions (each one
    /// briefly competes with checks for the cores) and a decision showing
    /// in audit queries that much later; the spool holds them meanwhile.
    /// 250 ms: one client's p99 1.1-1.2 ms against 1.9-2.2 ms at 20 ms
    /// (docs/benchmarks.md, 2026-12-05 22:45), well inside a head interval.
    public var auditGather: Duration = .milliseconds(250)

    public init() {}

    public init(environment: [String: String]) throws(ConfigurationError) {
        let env = EnvironmentReader(environment)
        schema = try env.schema("AGION_GOVERNANCE_SCHEMA") ?? schema
        spoolDirectory = try env.string("AGION_GOVERNANCE_SPOOL_DIR") ?? spoolDirectory
        if let fsync = try env.string("AGION_GOVERNANCE_AUDIT_FSYNC") {
            guard fsync == "true" || fsync == "false" else { throw ConfigurationError(key: "AGION_GOVERNANCE_AUDIT_FSYNC", reason: "must be true or false") }
            auditFsync = fsync == "true"
        }
        checkThreads = try env.positive("AGION_GOVERNANCE_CHECK_THREADS") ?? checkThreads
        policyPollInterval = try env.milliseconds("AGION_GOVERNANCE_POLICY_POLL_MS") ?? policyPollInterval
        cachePrefix = try env.string("AGION_GOVERNANCE_CACHE_PREFIX") ?? cachePrefix
        if let text = try env.string("AGION_GOVERNANCE_STANDING_MEMORY_MS") {
            guard let ms = Int(text), ms >= 0 else {
                throw ConfigurationError(key: "AGION_GOVERNANCE_STANDING_MEMORY_MS", reason: "must be a whole number ≥ 0")
            }
            standingMemoryTTL = .milliseconds(ms)
        }
        if let hours = try env.positive("AGION_GOVERNANCE_TRUST_HALF_LIFE_HOURS") { trustModel.halfLife = .seconds(hours * 3600) }
        if let audit = try env.string("AGION_GOVERNANCE_AUDIT") {
            guard audit == "on" || audit == "off" else { throw ConfigurationError(key: "AGION_GOVERNANCE_AUDIT", reason: "must be on or off") }
            auditEnabled = audit == "on"
        }
        auditSigningKeyFile = try env.string("AGION_GOVERNANCE_AUDIT_SIGNING_KEY_FILE") ?? auditSigningKeyFile
        auditHeadInterval = try env.milliseconds("AGION_GOVERNANCE_AUDIT_HEAD_MS") ?? auditHeadInterval
        auditGather = try env.milliseconds("AGION_GOVERNANCE_AUDIT_GATHER_MS") ?? auditGather
    }
}

enum System {
    static var coreCount: Int { max(ProcessInfo.processInfo.activeProcessorCount, 1) }
}

import Foundation
