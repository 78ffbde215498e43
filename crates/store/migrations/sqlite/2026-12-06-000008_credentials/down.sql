-- Only secrets in clear can go back; a store that wrapped them must unwrap first.
UPDATE webhooks SET secret = CAST(unhex(substr(secret, 4)) AS TEXT) WHERE secret LIKE 'v1:%';
ALTER TABLE audit_events DROP COLUMN actor_kind;
DROP TABLE jwt_issuers;
DROP TABLE oauth_signing_keys;
DROP TABLE oauth_clients;
