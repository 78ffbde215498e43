-- The group members of a group, without reading its user members: the nested-group cycle
-- check walks these.
CREATE INDEX group_members_nested ON group_members (member_type, group_id, member_id);
