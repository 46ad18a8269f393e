import AgionStore

/// Coordination's schema: each mission's event stream, its projection, and
/// its timers. Migrations are Swift strings so a deployed binary carries
/// them; never edit one that has shipped, add the next.
enum CoordinationMigrations {
    static let all: [Migration] = [missions, Outbox.migration(version: 2), deadSteps, approvals, schedules, stepQueue, storedOutputs]

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

    static let approvals = Migration(version: 4, name: "approvals", sql: """
        -- Approval requests, indexed for the API (GET /v1/approvals): the
        -- request itself lives in its step's projection and its events; this
        -- row is written in the same transaction, so it never disagrees.
        CREATE TABLE approvals (
            approval_id uuid PRIMARY KEY,
            tenant text NOT NULL,
            mission_id uuid NOT NULL,
            step_id text NOT NULL,
            status text NOT NULL,               -- pending, approved, rejected, expired, cancelled
            groups text[] NOT NULL,             -- who may decide now; empty: any approver
            requested_by text NOT NULL,
            requested_at bigint NOT NULL,
            expires_at bigint NOT NULL,
            record bytea NOT NULL               -- agion.v1.Approval as it is now
        );
        CREATE INDEX approvals_by_tenant ON approvals (tenant, status, requested_at DESC, approval_id DESC);
        CREATE INDEX approvals_by_mission ON approvals (mission_id);
        """)

    static let schedules = Migration(version: 5, name: "schedules", sql: """
        -- Mission templates started on a cron schedule. `settings` is the
        -- agion.v1.Schedule as created (cron, zone, overlap, catch-up, template);
        -- the columns after it are where the schedule stands. A replica fires a
        -- due schedule under a lease (lease_until), like mission timers.
        CREATE TABLE schedules (
            schedule_id uuid PRIMARY KEY,
            tenant text NOT NULL,
            name text NOT NULL,
            settings bytea NOT NULL,
            paused boolean NOT NULL DEFAULT false,
            next_fire_at bigint,                -- NULL: the expression never fires again
            buffered_fire_at bigint,            -- a firing waiting for the previous run (buffer_one)
            last_mission_id uuid,
            last_fired_at bigint,
            fired bigint NOT NULL DEFAULT 0,
            skipped bigint NOT NULL DEFAULT 0,
            lease_until bigint NOT NULL DEFAULT 0,
            created_by text NOT NULL,
            created_at bigint NOT NULL,
            updated_at bigint NOT NULL
        );
        CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE NOT paused;
        CREATE INDEX schedules_by_tenant ON schedules (tenant, created_at DESC, schedule_id DESC);

        -- Every firing and what became of it: one row per firing time, so a
        -- firing handled twice (a replica died mid-way) is recorded once.
        CREATE TABLE schedule_firings (
            schedule_id uuid NOT NULL,
            fire_at bigint NOT NULL,
            outcome text NOT NULL,              -- started, skipped_overlap, skipped_missed, buffered
            mission_id uuid,
            recorded_at bigint NOT NULL,
            manual boolean NOT NULL DEFAULT false,
            PRIMARY KEY (schedule_id, fire_at)
        );
        """)

    static let stepQueue = Migration(version: 6, name: "step_queue", sql: """
        -- Step attempts between their scheduling and their end. Waiting ones
        -- (dispatched_at NULL) are handed to execution by the dispatcher, fairly
        -- between tenants and within the window and limits; dispatched ones are
        -- what execution has out, counted per tenant and agent. Written in the
        -- transaction that schedules the attempt, deleted in the one that
        -- records its end.
        CREATE TABLE step_queue (
            mission_id uuid NOT NULL,
            step_id text NOT NULL,
            attempt integer NOT NULL,
            tenant text NOT NULL,
            agent_id text NOT NULL,
            agent_limit integer NOT NULL,         -- the agent's max_concurrency, 0: none
            timeout_seconds integer NOT NULL,
            enqueued_at bigint NOT NULL,
            dispatched_at bigint,
            expires_at bigint,                    -- a dispatched slot whose end was never heard of is freed then
            work bytea NOT NULL,                  -- the agion.v1.Envelope of its StepWork
            work_id uuid NOT NULL,                -- that envelope's id (the outbox row's)
            PRIMARY KEY (mission_id, step_id, attempt)
        );
        CREATE INDEX step_queue_waiting ON step_queue (tenant, enqueued_at) WHERE dispatched_at IS NULL;
        CREATE INDEX step_queue_out ON step_queue (tenant, agent_id) WHERE dispatched_at IS NOT NULL;

        -- Running missions per tenant, for the tenant's limit.
        CREATE INDEX missions_running ON missions (tenant) WHERE status = 'running';
        """)

    static let storedOutputs = Migration(version: 7, name: "stored_outputs", sql: """
        -- Missions with outputs in the output store (AGION_OUTPUTS), and when
        -- the retention sweeper deleted them: the sweeper looks only at
        -- finished missions that still have some, oldest first. (A replay
        -- that stores outputs again clears outputs_removed_at.)
        ALTER TABLE missions ADD COLUMN stored_outputs boolean NOT NULL DEFAULT false;
        ALTER TABLE missions ADD COLUMN outputs_removed_at bigint;
        CREATE INDEX missions_outputs_kept ON missions (tenant, updated_at) WHERE stored_outputs AND outputs_removed_at IS NULL;
        """)
}
