-- The filter index keeps one text index, on the lower-cased copy (issue 25: storage per
-- user). The index on the text as stored served only the case-exact attributes' filters,
-- and took about 400 bytes per user; those filters now search the lower-cased index with a
-- condition their comparison implies (filter_sql/compare.rs, exact_guard).
-- Keep in step with the other backend.
DROP INDEX resource_values_text;
