-- Attribute rules (PRODUCT.md §4): a rule's subject is either a group glob (`group_glob`)
-- or a SCIM filter over the user's own attributes (`filter`, `group_glob` then empty).
-- Keep in step with the other backend.
ALTER TABLE access_rules ADD COLUMN filter TEXT;
