-- PostgreSQL's filter index now holds a prefix of each text (a B-tree entry has a size
-- limit there). SQLite indexes whole values of any length: nothing to change, but the
-- migration exists on both backends so that they stay numbered alike.
SELECT 1;
