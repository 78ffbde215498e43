DROP INDEX resource_values_lower;
DROP INDEX resource_values_text;
CREATE INDEX resource_values_lower ON resource_values (org_id, attr, sub, v_lower)
    WHERE v_lower IS NOT NULL;
CREATE INDEX resource_values_text ON resource_values (org_id, attr, sub, v_text)
    WHERE v_text IS NOT NULL;
