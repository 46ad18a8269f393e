import AgionStore

/// The governance schema. Swift strings so the binary carries them; never
/// edit one that has shipped, add the next.
enum GovernanceMigrations {
    static let all: [Migration] = [policies, agentsAndTrust, audit, Outbox.migration(version: 4), trustHistoryPages, auditTree]

    static let policies = Migration(version: 1, name: "policies", sql: """
        CREATE FUNCTION now_nanos() RETURNS bigint LANGUAGE sql VOLATILE
            AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000000000)::bigint $$;

        -- Every document a tenant ever submitted, as submitted.
        CREATE TABLE policy_revisions (
            tenant text NOT NULL,
            revision integer NOT NULL,
            document text NOT NULL,
            comment text NOT NULL,
            digest text NOT NULL,
            rule_count integer NOT NULL,
            output_rule_count integer NOT NULL,
            created_at bigint NOT NULL,
            PRIMARY KEY (tenant, revision)
        );
        -- The active revision per tenant. change_seq grows with every
        -- activation, so replicas poll for "anything after what I have".
        CREATE SEQUENCE policy_change_seq;
        CREATE TABLE active_policies (
            tenant text PRIMARY KEY,
            revision integer NOT NULL,
            change_seq bigint NOT NULL DEFAULT nextval('policy_change_seq'),
            activated_at bigint NOT NULL
        );
        CREATE INDEX active_policies_by_change ON active_policies (change_seq);
        """)

    static let agentsAndTrust = Migration(version: 2, name: "agents_and_trust", sql: """
        -- Governance's view of the registry, from its events: only what
        -- decisions need. updated_at is the event's time, so late or
        -- replayed events never overwrite newer state.
        CREATE TABLE agents (
            tenant text NOT NULL,
            agent_id text NOT NULL,
            status smallint NOT NULL,
            updated_at bigint NOT NULL,
            PRIMARY KEY (tenant, agent_id)
        );

        -- Trust evidence per agent, overall (capability '') and per capability.
        CREATE TABLE trust_scores (
            tenant text NOT NULL,
            agent_id text NOT NULL,
            capability text NOT NULL,
            positive double precision NOT NULL,
            negative double precision NOT NULL,
            updated_at bigint NOT NULL,
            PRIMARY KEY (tenant, agent_id, capability)
        );
        -- Every change, with what caused it.
        CREATE TABLE trust_history (
            id bigserial PRIMARY KEY,
            tenant text NOT NULL,
            agent_id text NOT NULL,
            capability text NOT NULL,
            cause text NOT NULL,
            positive_added double precision NOT NULL,
            negative_added double precision NOT NULL,
            score double precision NOT NULL,
            execution_id text NOT NULL,
            occurred_at bigint NOT NULL
        );
        CREATE INDEX trust_history_by_agent ON trust_history (tenant, agent_id, occurred_at);
        CREATE TABLE feedback (
            id bigserial PRIMARY KEY,
            tenant text NOT NULL,
            agent_id text NOT NULL,
            capability text NOT NULL,
            source text NOT NULL,
            rating smallint NOT NULL,
            comment text NOT NULL,
            weight double precision NOT NULL,
            execution_id text NOT NULL,
            occurred_at bigint NOT NULL
        );
        CREATE INDEX feedback_by_source ON feedback (tenant, agent_id, source, occurred_at);
        """)

    static let audit = Migration(version: 3, name: "audit", sql: """
        -- The head of each tenant's hash chain; appenders lock it.
        CREATE TABLE audit_heads (
            tenant text PRIMARY KEY,
            sequence bigint NOT NULL,
            hash bytea NOT NULL
        );
        -- record is the agion.v1.AuditRecord as decided (no sequence, no
        -- hash): the chain hashes it with its sequence. The other columns
        -- are copies for queries, checked against it by verification.
        CREATE TABLE audit_records (
            tenant text NOT NULL,
            sequence bigint NOT NULL,
            decision_id text NOT NULL,
            kind text NOT NULL,
            agent_id text NOT NULL,
            action text NOT NULL,
            result text NOT NULL,
            decided_at bigint NOT NULL,
            record bytea NOT NULL,
            hash bytea NOT NULL,
            PRIMARY KEY (tenant, sequence),
            UNIQUE (tenant, decision_id)
        );
        CREATE INDEX audit_by_agent ON audit_records (tenant, agent_id, decided_at);
        CREATE INDEX audit_by_action ON audit_records (tenant, action, decided_at);
        -- Time ranges: decided_at grows with the table, so a BRIN index is
        -- tiny and nearly free to maintain at thousands of inserts a second.
        CREATE INDEX audit_by_time ON audit_records USING brin (decided_at);
        """)

    /// The trust history is read one agent and scope at a time, newest first
    /// (`trust.history`); nothing reads it by time.
    static let trustHistoryPages = Migration(version: 5, name: "trust_history_pages", sql: """
        CREATE INDEX trust_history_page ON trust_history (tenant, agent_id, capability, id);
        DROP INDEX trust_history_by_agent;
        """)

    /// The Merkle tree over each tenant's audit (RFC 9162), grown behind the
    /// hash chain by `AuditTreeBuilder`; existing chains are built from
    /// their first record the same way, so this needs no data migration.
    static let auditTree = Migration(version: 6, name: "audit_tree", sql: """
        -- The builder's position per tenant: `size` records are leaves;
        -- `frontier` is the 32-byte hashes of the perfect subtrees covering
        -- them, largest first (one per set bit of size); `chain_hash` is the
        -- chain hash of record `size`, so each record's link is checked as it
        -- is added. A broken link stops the tenant's tree (broken_*).
        CREATE TABLE audit_trees (
            tenant text PRIMARY KEY,
            size bigint NOT NULL,
            frontier bytea NOT NULL,
            chain_hash bytea NOT NULL,
            broken_at bigint,
            broken_reason text
        );
        -- Hashes of perfect subtrees of 16 leaves and more: leaves
        -- idx * 2^level ..< (idx + 1) * 2^level. Smaller ones are hashed
        -- again from their records when a proof needs them.
        CREATE TABLE audit_tree_nodes (
            tenant text NOT NULL,
            level smallint NOT NULL,
            idx bigint NOT NULL,
            hash bytea NOT NULL,
            PRIMARY KEY (tenant, level, idx)
        );
        -- Signed tree heads (docs/governance.md): signed_at in Unix ms.
        CREATE TABLE audit_tree_heads (
            tenant text NOT NULL,
            tree_size bigint NOT NULL,
            root_hash bytea NOT NULL,
            signed_at bigint NOT NULL,
            key_id text NOT NULL,
            signature bytea NOT NULL,
            PRIMARY KEY (tenant, tree_size)
        );
        -- Every key that has signed heads: verifiers of old heads need old keys.
        CREATE TABLE audit_signing_keys (
            key_id text PRIMARY KEY,
            public_key bytea NOT NULL,
            first_used_at bigint NOT NULL
        );
        -- Verification jobs (AuditVerifier): records (from_size, to_size]
        -- against the head signed at to_size. next_size, chain_hash and
        -- frontier are the progress, saved after each chunk; at the end
        -- they are where the next incremental job starts. Times in Unix ms;
        -- a job whose lease ran out is taken over by any replica.
        CREATE TABLE audit_verifications (
            id uuid PRIMARY KEY,
            tenant text NOT NULL,
            kind text NOT NULL,
            status text NOT NULL,
            from_size bigint NOT NULL,
            to_size bigint NOT NULL,
            root_hash bytea NOT NULL,
            next_size bigint NOT NULL,
            chain_hash bytea NOT NULL,
            frontier bytea NOT NULL,
            records_checked bigint NOT NULL,
            first_broken_sequence bigint,
            reason text,
            created_at bigint NOT NULL,
            finished_at bigint,
            lease_owner text NOT NULL,
            lease_until bigint NOT NULL
        );
        CREATE INDEX audit_verifications_by_tenant ON audit_verifications (tenant, created_at DESC);
        CREATE INDEX audit_verifications_open ON audit_verifications (created_at) WHERE finished_at IS NULL;
        -- Retention (AuditArchives): records (from_size, to_size] set aside,
        -- exported, then dropped (dropped_at). The chain hash and frontier at
        -- both ends: before, so an export proves itself; after, so
        -- verification starts there once the records are gone.
        CREATE TABLE audit_archives (
            tenant text NOT NULL,
            from_size bigint NOT NULL,
            to_size bigint NOT NULL,
            chain_hash_before bytea NOT NULL,
            frontier_before bytea NOT NULL,
            chain_hash_after bytea NOT NULL,
            frontier_after bytea NOT NULL,
            created_at bigint NOT NULL,
            dropped_at bigint,
            PRIMARY KEY (tenant, to_size)
        );
        """)
}
