-- Passwords are never kept in clear (PRODUCT.md §1). Before this migration a password an
-- IdP sent was stored verbatim in the user row, its tombstone and the filter index; no
-- organization could yet keep hashes (`password_storage` is new, `discard` by default), so
-- every stored password is clear text and is removed. The audit trail only ever held
-- "[redacted]". Keep in step with the other backend.
UPDATE scim_users SET data = (data::jsonb - 'password')::text
    WHERE data LIKE '%"password"%' AND jsonb_exists(data::jsonb, 'password');
UPDATE user_tombstones SET data = (data::jsonb - 'password')::text
    WHERE data LIKE '%"password"%' AND jsonb_exists(data::jsonb, 'password');
DELETE FROM resource_values WHERE attr = 'password';
