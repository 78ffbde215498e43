DROP TABLE joins;
DROP TABLE access_rules;
DROP TABLE grants;
DROP TABLE folders;
DROP TABLE workspaces;
ALTER TABLE orgs DROP COLUMN settings;
