CREATE INDEX resource_values_text ON resource_values (org_id, attr, sub, left(v_text, 256))
    WHERE v_text IS NOT NULL;
