-- Passwords are never kept in clear (PRODUCT.md §1). Before this migration a password an
-- IdP sent was stored verbatim in the user row, its tombstone and the filter index; no
-- organization could yet keep hashes (`password_storage` is new, `discard` by default), so
-- every stored password is clear text and is removed. The audit trail only ever held
-- "[redacted]". Keep in step with the other backend.
UPDATE scim_users SET data = json_remove(data, '$.password')
    WHERE data LIKE '%"password"%' AND json_type(data, '$.password') IS NOT NULL;
UPDATE user_tombstones SET data = json_remove(data, '$.password')
    WHERE data LIKE '%"password"%' AND json_valid(data) AND json_type(data, '$.password') IS NOT NULL;
DELETE FROM resource_values WHERE attr = 'password';
