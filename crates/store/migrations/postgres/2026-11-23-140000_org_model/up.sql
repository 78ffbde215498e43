-- The organization model (PRODUCT.md §4): settings, workspaces with their Home folder,
-- folders with team access, grants, group mapping rules and joins. Keep in step with
-- ../../sqlite/. Roles, team access and sources are stored as their wire names.
ALTER TABLE orgs ADD COLUMN settings TEXT COLLATE "C" NOT NULL DEFAULT '{}';

CREATE TABLE workspaces (
    id              TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    org_id          TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name            TEXT COLLATE "C" NOT NULL,
    home_folder_id  TEXT COLLATE "C" NOT NULL,
    created_at      TEXT COLLATE "C" NOT NULL
);
CREATE INDEX workspaces_org ON workspaces (org_id, created_at, id);

CREATE TABLE folders (
    id            TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    org_id        TEXT COLLATE "C" NOT NULL,
    workspace_id  TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT COLLATE "C" NOT NULL,
    team_access   TEXT COLLATE "C" NOT NULL,
    created_at    TEXT COLLATE "C" NOT NULL
);
CREATE INDEX folders_workspace ON folders (org_id, workspace_id, created_at, id);

CREATE TABLE grants (
    id              TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    org_id          TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    principal_type  TEXT COLLATE "C" NOT NULL,
    principal_id    TEXT COLLATE "C" NOT NULL,
    resource_type   TEXT COLLATE "C" NOT NULL,
    resource_id     TEXT COLLATE "C" NOT NULL,
    role            TEXT COLLATE "C" NOT NULL,
    source          TEXT COLLATE "C" NOT NULL,
    source_detail   TEXT COLLATE "C",
    expires_at      TEXT COLLATE "C",
    created_at      TEXT COLLATE "C" NOT NULL
);
CREATE INDEX grants_resource ON grants (org_id, resource_type, resource_id);
CREATE INDEX grants_principal ON grants (org_id, principal_type, principal_id);

CREATE TABLE access_rules (
    id              TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    org_id          TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    group_glob      TEXT COLLATE "C" NOT NULL,
    workspace_glob  TEXT COLLATE "C" NOT NULL,
    role            TEXT COLLATE "C" NOT NULL,
    created_at      TEXT COLLATE "C" NOT NULL
);
CREATE INDEX access_rules_org ON access_rules (org_id, created_at, id);

-- A user's first access to a workspace or folder (member lists, seat counts); grants nothing.
CREATE TABLE joins (
    org_id         TEXT COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id        TEXT COLLATE "C" NOT NULL,
    resource_type  TEXT COLLATE "C" NOT NULL,
    resource_id    TEXT COLLATE "C" NOT NULL,
    joined_at      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, resource_type, resource_id, user_id)
);
