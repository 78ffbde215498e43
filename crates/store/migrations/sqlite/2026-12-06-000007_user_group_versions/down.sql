DROP TABLE user_group_versions;
