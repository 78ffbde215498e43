-- The organization model (PRODUCT.md §4): settings, workspaces with their Home folder,
-- folders with team access, grants, group mapping rules and joins. Keep in step with
-- ../../postgres/. Roles, team access and sources are stored as their wire names.
ALTER TABLE orgs ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';

CREATE TABLE workspaces (
    id              TEXT PRIMARY KEY NOT NULL,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    home_folder_id  TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX workspaces_org ON workspaces (org_id, created_at, id);

CREATE TABLE folders (
    id            TEXT PRIMARY KEY NOT NULL,
    org_id        TEXT NOT NULL,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    team_access   TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX folders_workspace ON folders (org_id, workspace_id, created_at, id);

CREATE TABLE grants (
    id              TEXT PRIMARY KEY NOT NULL,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    principal_type  TEXT NOT NULL,
    principal_id    TEXT NOT NULL,
    resource_type   TEXT NOT NULL,
    resource_id     TEXT NOT NULL,
    role            TEXT NOT NULL,
    source          TEXT NOT NULL,
    source_detail   TEXT,
    expires_at      TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX grants_resource ON grants (org_id, resource_type, resource_id);
CREATE INDEX grants_principal ON grants (org_id, principal_type, principal_id);

CREATE TABLE access_rules (
    id              TEXT PRIMARY KEY NOT NULL,
    org_id          TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    group_glob      TEXT NOT NULL,
    workspace_glob  TEXT NOT NULL,
    role            TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX access_rules_org ON access_rules (org_id, created_at, id);

-- A user's first access to a workspace or folder (member lists, seat counts); grants nothing.
CREATE TABLE joins (
    org_id         TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    joined_at      TEXT NOT NULL,
    PRIMARY KEY (org_id, resource_type, resource_id, user_id)
);
