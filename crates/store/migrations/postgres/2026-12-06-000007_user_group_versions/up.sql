-- A user's direct group memberships are part of the user (`groups`), so a change to them
-- moves the user's version and ETag (RFC 7644 §3.14). Counted here rather than on the
-- user's row: one narrow row per user, so a one-member PATCH of a large group writes one
-- small row, not the member's whole resource. A user's version as answered is
-- scim_users.version plus this count (`resource::version_sql`). Keep in step with the
-- other backend.
CREATE TABLE user_group_versions (
    org_id   TEXT COLLATE "C" NOT NULL,
    user_id  TEXT COLLATE "C" NOT NULL,
    version  BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
