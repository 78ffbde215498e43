DROP INDEX grants_expiry;
