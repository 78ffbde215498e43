DROP TABLE org_schemas;
ALTER TABLE orgs DROP COLUMN schemas_version;
