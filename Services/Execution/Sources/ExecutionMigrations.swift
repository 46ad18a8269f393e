import AgionStore

/// Execution's schema: a log of every attempt (what ran where, how it ended,
/// how long it took), written with the report of its end in one transaction.
enum ExecutionMigrations {
    static let all: [Migration] = [attempts, Outbox.migration(version: 2)]

    static let attempts = Migration(version: 1, name: "attempts", sql: """
        CREATE TABLE attempts (
            tenant text NOT NULL,
            mission_id uuid NOT NULL,
            step_id text NOT NULL,
            attempt integer NOT NULL,
            agent_id text NOT NULL,
            result text NOT NULL,               -- succeeded, failed, awaiting_approval
            error_code text NOT NULL,
            error_message text NOT NULL,
            latency_ms double precision NOT NULL,
            input_tokens bigint NOT NULL,
            output_tokens bigint NOT NULL,
            cost_usd double precision NOT NULL,
            finished_at bigint NOT NULL,
            report bytea NOT NULL,              -- the attempt_finished envelope, to report again on redelivery
            PRIMARY KEY (mission_id, step_id, attempt)
        );
        CREATE INDEX attempts_by_tenant ON attempts (tenant, finished_at DESC);
        """)
}
