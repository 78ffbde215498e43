-- Clear passwords are gone for good: nothing to restore.
SELECT 1;
