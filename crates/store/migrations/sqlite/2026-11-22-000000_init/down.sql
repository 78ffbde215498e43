DROP TABLE resource_values;
DROP TABLE group_members;
DROP TABLE scim_groups;
DROP TABLE scim_users;
DROP TABLE tokens;
DROP TABLE orgs;
