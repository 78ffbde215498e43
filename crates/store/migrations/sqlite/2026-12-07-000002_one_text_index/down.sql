CREATE INDEX resource_values_text ON resource_values (org_id, attr, sub, v_text)
    WHERE v_text IS NOT NULL;
