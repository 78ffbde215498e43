-- Secrets the server processes of one database share, by name. 'cursor' keys the HMAC that
-- makes RFC 9865 paging cursors tamper-evident. The first process to start creates it
-- (INSERT ... ON CONFLICT DO NOTHING, then read back), so every process signs alike.
CREATE TABLE server_secrets (
    name        TEXT PRIMARY KEY NOT NULL,
    secret      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
