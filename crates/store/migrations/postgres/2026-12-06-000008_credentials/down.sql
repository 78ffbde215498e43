-- Only secrets in clear can go back; a store that wrapped them must unwrap first.
UPDATE webhooks SET secret = convert_from(decode(substr(secret, 4), 'hex'), 'UTF8') WHERE secret LIKE 'v1:%';
ALTER TABLE audit_events DROP COLUMN actor_kind;
DROP TABLE jwt_issuers;
DROP TABLE oauth_signing_keys;
DROP TABLE oauth_clients;
