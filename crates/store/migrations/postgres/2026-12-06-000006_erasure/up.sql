-- Erasure by crypto-shredding (PRODUCT.md §6): each user's data key, under which the
-- personal values of the audit records about them are sealed (`erasure.rs`). The purge of
-- a deleted user deletes it. Records written before this migration are sealed by the data
-- migration `audit_personal_values`. Keep in step with the other backend.
CREATE TABLE user_data_keys (
    org_id    TEXT COLLATE "C" NOT NULL,
    user_id   TEXT COLLATE "C" NOT NULL,
    data_key  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
