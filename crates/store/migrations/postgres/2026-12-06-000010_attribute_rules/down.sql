ALTER TABLE access_rules DROP COLUMN filter;
