//! The tables, hand-written in the types both backends share: ids, JSON and timestamps
//! (fixed-width UTC, see `timestamp.rs`) as text, versions as BigInt. The SQL lives in
//! `migrations/{sqlite,postgres}`.

diesel::table! {
    /// Organizations (tenants).
    orgs (id) {
        id -> Text,
        name -> Text,
        dialect -> Text,
        created_at -> Text,
        schemas_version -> BigInt,
        settings -> Text,
        unique_external_id -> Bool,
    }
}

diesel::table! {
    /// Workspaces; each has exactly one Home folder.
    workspaces (id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        home_folder_id -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    /// Folders of workspaces, with their team access.
    folders (id) {
        id -> Text,
        org_id -> Text,
        workspace_id -> Text,
        name -> Text,
        team_access -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    /// Grants: a user or group holds a role on a workspace or folder.
    grants (id) {
        id -> Text,
        org_id -> Text,
        principal_type -> Text,
        principal_id -> Text,
        resource_type -> Text,
        resource_id -> Text,
        role -> Text,
        source -> Text,
        source_detail -> Nullable<Text>,
        expires_at -> Nullable<Text>,
        created_at -> Text,
    }
}

diesel::table! {
    /// Mapping rules: group rules and attribute rules.
    access_rules (id) {
        id -> Text,
        org_id -> Text,
        group_glob -> Text,
        workspace_glob -> Text,
        role -> Text,
        created_at -> Text,
        /// An attribute rule's filter (`group_glob` is then empty).
        filter -> Nullable<Text>,
    }
}

diesel::table! {
    /// First accesses (member lists, seat counts).
    joins (org_id, resource_type, resource_id, user_id) {
        org_id -> Text,
        user_id -> Text,
        resource_type -> Text,
        resource_id -> Text,
        joined_at -> Text,
    }
}

diesel::table! {
    /// Custom extension schemas of an organization (the RFC 7643 §7 definition as JSON).
    org_schemas (org_id, urn_lower) {
        org_id -> Text,
        urn_lower -> Text,
        resource_type -> Text,
        required -> Bool,
        definition -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    /// API tokens; only the SHA-256 of the secret is kept.
    tokens (id) {
        id -> Text,
        org_id -> Text,
        kind -> Text,
        name -> Nullable<Text>,
        secret_hash -> Text,
        created_at -> Text,
        expires_at -> Nullable<Text>,
        revoked_at -> Nullable<Text>,
    }
}

diesel::table! {
    /// SCIM users: the columns filters and uniqueness need, and `data`, the normalized
    /// resource without `id`, `meta` and `groups`.
    scim_users (id) {
        id -> Text,
        org_id -> Text,
        user_name -> Text,
        user_name_key -> Text,
        external_id -> Nullable<Text>,
        /// `external_id` while the org's `unique_external_id` is on, else NULL: the
        /// column the uniqueness constraint holds.
        external_id_unique -> Nullable<Text>,
        display_name -> Nullable<Text>,
        active -> Nullable<Bool>,
        version -> BigInt,
        created -> Text,
        last_modified -> Text,
        data -> Text,
        deactivated_at -> Nullable<Text>,
    }
}

diesel::table! {
    /// Deleted users (tombstones): out of `scim_users`, personal data kept until purged.
    user_tombstones (id) {
        id -> Text,
        org_id -> Text,
        user_name -> Nullable<Text>,
        external_id -> Nullable<Text>,
        data -> Text,
        created -> Text,
        deleted_at -> Text,
        purged_at -> Nullable<Text>,
    }
}

diesel::table! {
    /// SCIM groups; `data` is the normalized group without `id`, `meta` and `members`.
    scim_groups (id) {
        id -> Text,
        org_id -> Text,
        display_name -> Text,
        display_name_key -> Text,
        external_id -> Nullable<Text>,
        /// As `scim_users.external_id_unique`.
        external_id_unique -> Nullable<Text>,
        version -> BigInt,
        created -> Text,
        last_modified -> Text,
        data -> Text,
    }
}

diesel::table! {
    /// Group membership, one row per member (a user or a group of the same org).
    group_members (group_id, member_id) {
        org_id -> Text,
        group_id -> Text,
        member_id -> Text,
        member_type -> Text,
    }
}

diesel::table! {
    /// The audit trail: append-only (triggers refuse UPDATE and DELETE).
    audit_events (seq) {
        seq -> BigInt,
        id -> Text,
        org_id -> Text,
        occurred_at -> Text,
        actor -> Text,
        operation -> Text,
        target -> Text,
        status -> Integer,
        detail -> Text,
        request_id -> Nullable<Text>,
        prev_hash -> Nullable<Text>,
        hash -> Nullable<Text>,
        actor_kind -> Nullable<Text>,
    }
}

diesel::table! {
    /// While an organization's old audit records are pruned, the permit that lets the
    /// append-only trigger allow it.
    audit_prune_permits (org_id) {
        org_id -> Text,
    }
}

diesel::table! {
    /// Each user's data key, under which the personal values of the records about them are
    /// sealed (`erasure.rs`); deleted by the purge.
    user_data_keys (org_id, user_id) {
        org_id -> Text,
        user_id -> Text,
        data_key -> Text,
    }
}

diesel::table! {
    /// The hash of each organization's latest audit record (`audit_chain.rs`).
    audit_heads (org_id) {
        org_id -> Text,
        last_hash -> Text,
    }
}

diesel::table! {
    /// The data migrations (Rust, after the SQL ones) that ran.
    data_migrations (name) {
        name -> Text,
        ran_at -> Text,
    }
}

diesel::table! {
    /// What data migrations found for an operator to look at (`rollcall migrate` lists it).
    migration_findings (migration, org_id, subject) {
        migration -> Text,
        org_id -> Text,
        subject -> Text,
        detail -> Text,
        found_at -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(orgs, tokens, scim_users, scim_groups, group_members);

diesel::table! {
    /// How many times each user's direct group memberships changed: added to their row's
    /// version in the version answered (`version::version_sql`).
    user_group_versions (org_id, user_id) {
        org_id -> Text,
        user_id -> Text,
        version -> BigInt,
    }
}
