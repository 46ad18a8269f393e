import AgionStore

/// Coordination's schema: each mission's event stream, its projection, and
/// its timers. Migrations are Swift strings so a deployed binary carries
/// them; never edit one that has shipped, add the next.
enum CoordinationMigrations {
    static let all: [Migration] = [missions, Outbox.migration(version: 2), deadSteps]

    static let missions = Migration(version: 1, name: "missions", sql: """
        -- The events of every mission: stream `mission:v1-<id>`, positions 1, 2, ...
        -- with no gaps. The primary key is the optimistic-concurrency guard:
        -- two writers that both read position n cannot both append n + 1.
        CREATE TABLE mission_events (
            stream text NOT NULL,
            position bigint NOT NULL,
            event_id uuid NOT NULL,
            type text NOT NULL,
            occurred_at bigint NOT NULL,
            envelope bytea NOT NULL,            -- agion.v1.Envelope of an agion.v1.MissionEvent, as published
            PRIMARY KEY (stream, position)
        );

        -- The projection, written in the transaction that appends its events,
        -- so reading or deciding never replays a history (however long).
        CREATE TABLE missions (
            mission_id uuid PRIMARY KEY,
            tenant text NOT NULL,
            name text NOT NULL,
            status text NOT NULL,
            idempotency_key text,               -- NULL without one
            position bigint NOT NULL,           -- the last event's
            state bytea NOT NULL,               -- MissionState snapshot (JSON)
            submitted_at bigint NOT NULL,
            updated_at bigint NOT NULL,
            UNIQUE (tenant, idempotency_key)
        );
        CREATE INDEX missions_by_tenant ON missions (tenant, submitted_at DESC, mission_id DESC);

        -- When something must happen to a mission later: a step's retry
        -- (kind 'retry:<step>') or its deadline (kind 'deadline'). Any replica
        -- takes a due one (FOR UPDATE SKIP LOCKED).
        CREATE TABLE mission_timers (
            mission_id uuid NOT NULL,
            kind text NOT NULL,
            tenant text NOT NULL,
            due_at bigint NOT NULL,
            PRIMARY KEY (mission_id, kind)
        );
        CREATE INDEX mission_timers_due ON mission_timers (due_at);
        """)

    static let deadSteps = Migration(version: 3, name: "dead_steps", sql: """
        -- Steps that failed for good, for operators to see and replay (the
        -- same entries go to the dead-letter stream, AGION_DLQ). Written in the
        -- transaction of the failure; marked when a replay resumes the mission.
        CREATE TABLE dead_steps (
            tenant text NOT NULL,
            mission_id uuid NOT NULL,
            step_id text NOT NULL,
            attempt integer NOT NULL,
            dead_at bigint NOT NULL,
            entry bytea NOT NULL,               -- agion.v1.DeadStep, without the replay fields
            replayed_at bigint,
            replayed_by text,
            PRIMARY KEY (mission_id, step_id, attempt)
        );
        CREATE INDEX dead_steps_by_tenant ON dead_steps (tenant, dead_at DESC, mission_id DESC, step_id DESC, attempt DESC);
        """)
}
