import AgionStore

/// The gateway's schema: tenants and API keys. Migrations are Swift strings so
/// a deployed binary carries them; never edit one that has shipped, add the next.
enum GatewayMigrations {
    static let all: [Migration] = [credentials, natsCredentials, approverKeys]

    static let credentials = Migration(version: 1, name: "credentials", sql: """
        CREATE TABLE tenants (
            tenant text PRIMARY KEY,
            display_name text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );

        -- An API key is shown once, at creation: only the SHA-256 of its
        -- secret part is kept (the secret is 256 random bits, so a slow hash
        -- would add nothing but latency to every request).
        CREATE TABLE api_keys (
            key_id text PRIMARY KEY,
            tenant text NOT NULL REFERENCES tenants (tenant),
            name text NOT NULL,
            role text NOT NULL CHECK (role IN ('admin', 'operator', 'agent', 'viewer')),
            agent_scope text,
            platform boolean NOT NULL DEFAULT false,
            secret_sha256 bytea NOT NULL,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            revoked_at timestamptz
        );
        CREATE INDEX api_keys_by_tenant ON api_keys (tenant, created_at);
        """)

    /// NATS credentials of agent containers (docs/security.md). Only the
    /// user's public key is kept: the seed is shown once, at creation.
    static let natsCredentials = Migration(version: 2, name: "nats_credentials", sql: """
        CREATE TABLE nats_credentials (
            credential_id text PRIMARY KEY,
            tenant text NOT NULL REFERENCES tenants (tenant),
            name text NOT NULL,
            agents text[] NOT NULL,
            user_key text NOT NULL UNIQUE,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz,
            revoked_at timestamptz
        );
        CREATE INDEX nats_credentials_by_tenant ON nats_credentials (tenant, created_at);
        """)

    /// The approver role, and the groups a key belongs to (an approval
    /// request naming groups is decided by their members only).
    static let approverKeys = Migration(version: 3, name: "approver_keys", sql: """
        ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
        ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('admin', 'operator', 'agent', 'viewer', 'approver'));
        ALTER TABLE api_keys ADD COLUMN groups text[] NOT NULL DEFAULT '{}';
        """)
}
