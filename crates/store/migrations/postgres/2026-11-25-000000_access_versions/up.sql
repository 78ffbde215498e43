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

CREATE FUNCTION bump_access_version() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE org_access_versions SET version = version + 1 WHERE org_id = OLD.org_id;
    ELSE
        UPDATE org_access_versions SET version = version + 1 WHERE org_id = NEW.org_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION new_org_access_version() RETURNS trigger AS $$
BEGIN
    INSERT INTO org_access_versions (org_id, version) VALUES (NEW.id, 0);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION bump_org_access_version() RETURNS trigger AS $$
BEGIN
    UPDATE org_access_versions SET version = version + 1 WHERE org_id = NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER orgs_access_version_new AFTER INSERT ON orgs
    FOR EACH ROW EXECUTE FUNCTION new_org_access_version();
CREATE TRIGGER orgs_access_version_settings AFTER UPDATE OF settings ON orgs
    FOR EACH ROW WHEN (OLD.settings IS DISTINCT FROM NEW.settings)
    EXECUTE FUNCTION bump_org_access_version();
CREATE TRIGGER grants_access_version_insert AFTER INSERT ON grants
    FOR EACH ROW WHEN (NEW.principal_type = 'group') EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER grants_access_version_update AFTER UPDATE ON grants
    FOR EACH ROW WHEN (OLD.principal_type = 'group' OR NEW.principal_type = 'group') EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER grants_access_version_delete AFTER DELETE ON grants
    FOR EACH ROW WHEN (OLD.principal_type = 'group') EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER access_rules_access_version_insert AFTER INSERT ON access_rules
    FOR EACH ROW EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER access_rules_access_version_update AFTER UPDATE ON access_rules
    FOR EACH ROW EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER access_rules_access_version_delete AFTER DELETE ON access_rules
    FOR EACH ROW EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER workspaces_access_version_insert AFTER INSERT ON workspaces
    FOR EACH ROW EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER workspaces_access_version_update AFTER UPDATE ON workspaces
    FOR EACH ROW EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER workspaces_access_version_delete AFTER DELETE ON workspaces
    FOR EACH ROW EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER folders_access_version_insert AFTER INSERT ON folders
    FOR EACH ROW EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER folders_access_version_update AFTER UPDATE ON folders
    FOR EACH ROW EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER folders_access_version_delete AFTER DELETE ON folders
    FOR EACH ROW EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER group_members_access_version_insert AFTER INSERT ON group_members
    FOR EACH ROW WHEN (lower(NEW.member_type) = 'group') EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER group_members_access_version_update AFTER UPDATE ON group_members
    FOR EACH ROW WHEN (lower(OLD.member_type) = 'group' OR lower(NEW.member_type) = 'group') EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER group_members_access_version_delete AFTER DELETE ON group_members
    FOR EACH ROW WHEN (lower(OLD.member_type) = 'group') EXECUTE FUNCTION bump_access_version();
CREATE TRIGGER scim_groups_access_version_rename AFTER UPDATE OF display_name ON scim_groups
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name) EXECUTE FUNCTION bump_access_version();
