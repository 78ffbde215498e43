-- Credentials beyond opaque tokens (PRODUCT.md §1). Keep in step with the other backend.
--
-- OAuth 2.0 clients of an organization (client credentials grant): the secret is stored
-- only as its SHA-256, as tokens are.
CREATE TABLE oauth_clients (
    id           TEXT PRIMARY KEY NOT NULL,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name         TEXT,
    secret_hash  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT
);
CREATE INDEX oauth_clients_org ON oauth_clients (org_id, created_at);

-- The keys that sign an organization's OAuth access tokens (HS256), in the database so
-- that every instance verifies what any instance issued. The newest signs; older ones
-- verify until they are dropped. `secret` is sealed (`sealed.rs`): wrapped with the
-- key-encryption key when the operator configures one.
CREATE TABLE oauth_signing_keys (
    id          TEXT PRIMARY KEY NOT NULL,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    secret      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX oauth_signing_keys_org ON oauth_signing_keys (org_id, created_at);

-- JWT issuers an organization trusts. A registration is keyed by issuer, audience and
-- required claims (a canonical JSON object); no two registrations may match one token
-- (checked when one is made). `shared_secret` (HS256) is sealed.
CREATE TABLE jwt_issuers (
    id               TEXT PRIMARY KEY NOT NULL,
    org_id           TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    issuer           TEXT NOT NULL,
    audience         TEXT NOT NULL,
    required_claims  TEXT NOT NULL,
    algorithms       TEXT NOT NULL,
    jwks_url         TEXT,
    public_key_pem   TEXT,
    shared_secret    TEXT,
    created_at       TEXT NOT NULL
);
CREATE INDEX jwt_issuers_key ON jwt_issuers (issuer, audience);
CREATE INDEX jwt_issuers_org ON jwt_issuers (org_id, created_at);

-- The kind of credential behind a record's actor (`scim_token`, `jwt`, `oauth_client`,
-- `admin_token`, …); none on records older than this column and on `cli`/`system`.
ALTER TABLE audit_events ADD COLUMN actor_kind TEXT;

-- Webhook secrets are sealed from now on (`sealed.rs`): those stored so far, in clear.
UPDATE webhooks SET secret = 'v1:' || lower(hex(secret));
