import AgionStore

/// The registry's schema. Migrations are Swift strings rather than files so a
/// deployed binary carries them; never edit one that has shipped, add the next.
enum RegistryMigrations {
    static let all: [Migration] = [agents, Outbox.migration(version: 2)]

    static let agents = Migration(version: 1, name: "agents", sql: """
        -- The database's clock, in Unix nanoseconds: every replica measures
        -- heartbeat deadlines against the same clock.
        CREATE FUNCTION now_nanos() RETURNS bigint LANGUAGE sql VOLATILE
            AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000000000)::bigint $$;

        -- One row per agent ever registered; deregistered agents stay for history.
        CREATE TABLE agents (
            tenant text NOT NULL,
            agent_id text NOT NULL,
            container text NOT NULL,
            definition bytea NOT NULL,          -- agion.v1.Agent, as last registered
            capabilities text[] NOT NULL,       -- copied from the definition, for search
            status smallint NOT NULL,           -- agion.v1.AgentStatus
            revision integer NOT NULL,          -- agent_versions.revision of the definition
            ttl_seconds integer NOT NULL,
            registered_at bigint NOT NULL,
            updated_at bigint NOT NULL,
            last_heartbeat_at bigint NOT NULL,
            unhealthy_at bigint NOT NULL,       -- last heartbeat + TTL
            offline_at bigint NOT NULL,         -- last heartbeat + TTL × offline multiple
            PRIMARY KEY (tenant, agent_id)
        );
        CREATE INDEX agents_by_container ON agents (tenant, container, agent_id);
        CREATE INDEX agents_by_capability ON agents USING gin (capabilities);
        CREATE INDEX agents_due_unhealthy ON agents (unhealthy_at) WHERE status = 1;
        CREATE INDEX agents_due_offline ON agents (offline_at) WHERE status IN (1, 2);

        -- Every definition an agent has had: a new version is recorded, never overwritten.
        CREATE TABLE agent_versions (
            tenant text NOT NULL,
            agent_id text NOT NULL,
            revision integer NOT NULL,
            version text NOT NULL,
            definition bytea NOT NULL,
            recorded_at bigint NOT NULL,
            PRIMARY KEY (tenant, agent_id, revision)
        );
        """)
}
