-- A text of any length can be stored and filtered (issue 20): a B-tree entry must fit in a
-- third of a page (2,704 bytes), so a certificate, a long URL or any string attribute of
-- about 2.6 KB was a 500 on PostgreSQL while SQLite took it. The filter index now holds the
-- first 256 characters of each text (at most 1 KiB); filters search the index by that prefix
-- and compare the whole value on the rows it finds (filter_sql/compare.rs, INDEX_PREFIX).
-- Keep in step with the other backend (SQLite indexes whole values: nothing to do there).
DROP INDEX resource_values_lower;
DROP INDEX resource_values_text;
CREATE INDEX resource_values_lower ON resource_values (org_id, attr, sub, left(v_lower, 256))
    WHERE v_lower IS NOT NULL;
CREATE INDEX resource_values_text ON resource_values (org_id, attr, sub, left(v_text, 256))
    WHERE v_text IS NOT NULL;
