-- The version of an organization's access facts (PRODUCT.md §6, the effective-role delta of
-- an audit record): every change to what decides roles beyond one user's own rows bumps it,
-- by trigger, so no write path can forget to. The store caches those facts per organization
-- and rereads them only when the version moved (`access_facts.rs`). What bumps it: grants
-- held by groups, rules, workspaces, folders, memberships of groups in groups, group renames
-- and the organization's settings (its owners). Keep in step with the other backend.
CREATE TABLE org_access_versions (
    org_id   TEXT PRIMARY KEY NOT NULL,
    version  BIGINT NOT NULL
);
INSERT INTO org_access_versions (org_id, version) SELECT id, 0 FROM orgs;

CREATE TRIGGER orgs_access_version_new AFTER INSERT ON orgs
BEGIN
    INSERT INTO org_access_versions (org_id, version) VALUES (NEW.id, 0);
END;
CREATE TRIGGER orgs_access_version_settings AFTER UPDATE OF settings ON orgs
    WHEN OLD.settings IS NOT NEW.settings
BEGIN
    UPDATE org_access_versions SET version = version + 1 WHERE org_id = NEW.id;
END;
CREATE TRIGGER grants_access_version_insert AFTER INSERT ON grants
    WHEN NEW.principal_type = 'group'
BEGIN
    UPDATE org_access_versions SET version = version + 1 WHERE org_id = NEW.org_id;
END;
CREATE TRIGGER grants_access_version_update AFTER UPDATE ON grants
    WHEN OLD.principal_type = 'group' OR NEW.principal_type = 'group'
BEGIN
    UPDATE org_access_versions SET version = version + 1 WHERE org_id = NEW.org_id;
END;
CREATE TRIGGER grants_access_version_delete AFTER DELETE ON grants
    WHEN OLD.principal_type = 'group'
BEGIN
    UPDATE org_access_versions SET version = version + 1 WHERE org_id = OLD.org_id;
END;
CREATE TRIGGER access_rules_access_version_insert AFTER INSERT ON access_rules
BEGIN
    UPDATE org_access_versions SET version = version + 1 WHERE org_id = NEW.org_id;
END;
CREATE TRIGGER access_rules_access_version_update AFTER UPDATE ON access_rules
BEGIN
    UPDATE org_access_versions SET version = version + 1 WHERE org_id = NEW.org_id;
END;
CREATE TRIGGER access_rules_access_version_delete AFTER DELETE ON access_rules
BEGIN
    UPDATE org_access_versions SET version = version + 1 WHERE org_id = OLD.org_id;
END;
CREATE TRIGGER workspaces_access_version_insert AFTER INSERT ON workspaces
BEGIN
    UPDATE org_access_versions SET version = version + 1 WHERE org_id = NEW.org_id;
END;
CREATE TRIGGER workspaces_access_version_update AFTER UPDATE ON workspaces
BEGIN
    UPDATE org_access_versions SET version = version + 1 WHERE org_id = NEW.org_id;
END;
CREATE TRIGGER workspaces_access_version_delete AFTER DELETE ON workspaces
BEGIN
    UPDATE org_access_versions SET version = version + 1 WHERE org_id = OLD.org_id;
END;
CREATE TRIGGER folders_access_version_insert AFTER INSERT ON folders
BEGIN
    UPDATE org_access_versions SET version = version + 1 WHERE org_id = NEW.org_id;
END;
CREATE TRIGGER folders_access_version_update AFTER UPDATE ON folders
BEGIN
    UPDATE org_access_versions SET version = version + 1 WHERE org_id = NEW.org_id;
END;
CREATE TRIGGER folders_access_version_delete AFTER DELETE ON folders
BEGIN
    UPDATE org_access_versions SET version = version + 1 WHERE org_id = OLD.org_id;
END;
CREATE TRIGGER group_members_access_version_insert AFTER INSERT ON group_members
    WHEN lower(NEW.member_type) = 'group'
BEGIN
    UPDATE org_access_versions SET version = version + 1 WHERE org_id = NEW.org_id;
END;
CREATE TRIGGER group_members_access_version_update AFTER UPDATE ON group_members
    WHEN lower(OLD.member_type) = 'group' OR lower(NEW.member_type) = 'group'
BEGIN
    UPDATE org_access_versions SET version = version + 1 WHERE org_id = NEW.org_id;
END;
CREATE TRIGGER group_members_access_version_delete AFTER DELETE ON group_members
    WHEN lower(OLD.member_type) = 'group'
BEGIN
    UPDATE org_access_versions SET version = version + 1 WHERE org_id = OLD.org_id;
END;
CREATE TRIGGER scim_groups_access_version_rename AFTER UPDATE OF display_name ON scim_groups
    WHEN OLD.display_name IS NOT NEW.display_name
BEGIN
    UPDATE org_access_versions SET version = version + 1 WHERE org_id = NEW.org_id;
END;
