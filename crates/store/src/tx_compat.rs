//! The flat methods `Tx` had before it offered its methods by area, each forwarding to its
//! area's method. They exist only until the callers outside the store (the HTTP crate, the
//! binary, the benches) move to the areas; a later step deletes this file, and then the
//! seven accessors named `…_area` (`orgs_area`, `tokens_area`, `workspaces_area`,
//! `grants_area`, `rules_area`, `audit_area`, `webhooks_area`) take the plain names that
//! these methods still hold (`tx.orgs()`, `tx.grants()`, …). Nothing in the store calls
//! them.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use org_model::{
    Explanation, Folder, Grant, GroupGraph, OrgSettings, Principal, ResourceRef, Role, Rule,
    TeamAccess, Workspace,
};
use scim_core::Dialect;
use scim_core::patch::MemberChange;
use serde_json::Value;

use crate::{
    ActivityChange, AuditQuery, AuditRecord, Authenticated, Candidates, ConsumerState, DeletedUser,
    FailedWrite, FolderChange, GrantFilter, Keyset, KeysetPage, ListQuery, MemberDelta,
    NewAuditRecord, NewEvent, NewToken, NewWebhook, Org, OrgSchema, OutboxEvent, Page,
    ResourceFacts, ResourceKind, ScimWriteStats, StoreError, StoredResource, Succession, TokenInfo,
    TokenKind, Tombstone, Tx, UserFacts, Webhook,
};

impl Tx<'_> {
    // tx.orgs_area()

    #[doc(hidden)]
    pub fn create_org(&mut self, name: &str, now: DateTime<Utc>) -> Result<Org, StoreError> {
        self.orgs_area().create(name, now)
    }

    #[doc(hidden)]
    pub fn org(&mut self, org_id: &str) -> Result<Option<Org>, StoreError> {
        self.orgs_area().get(org_id)
    }

    #[doc(hidden)]
    pub fn orgs(&mut self) -> Result<Vec<Org>, StoreError> {
        self.orgs_area().list()
    }

    #[doc(hidden)]
    pub fn rename_org(&mut self, org_id: &str, name: &str) -> Result<(), StoreError> {
        self.orgs_area().rename(org_id, name)
    }

    #[doc(hidden)]
    pub fn set_dialect(&mut self, org_id: &str, dialect: Dialect) -> Result<(), StoreError> {
        self.orgs_area().set_dialect(org_id, dialect)
    }

    #[doc(hidden)]
    pub fn org_settings(&mut self, org_id: &str) -> Result<OrgSettings, StoreError> {
        self.orgs_area().settings(org_id)
    }

    #[doc(hidden)]
    pub fn set_org_settings(
        &mut self,
        org_id: &str,
        settings: &OrgSettings,
    ) -> Result<(), StoreError> {
        self.orgs_area().set_settings(org_id, settings)
    }

    // tx.tokens_area()

    #[doc(hidden)]
    pub fn create_token(
        &mut self,
        org_id: &str,
        kind: TokenKind,
        name: Option<&str>,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<NewToken, StoreError> {
        self.tokens_area()
            .create(org_id, kind, name, expires_at, now)
    }

    #[doc(hidden)]
    pub fn tokens(
        &mut self,
        org_id: &str,
        kind: Option<TokenKind>,
    ) -> Result<Vec<TokenInfo>, StoreError> {
        self.tokens_area().list(org_id, kind)
    }

    #[doc(hidden)]
    pub fn revoke_token(
        &mut self,
        org_id: &str,
        token_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.tokens_area().revoke(org_id, token_id, now)
    }

    #[doc(hidden)]
    pub fn authenticate(
        &mut self,
        secret: &str,
        kind: TokenKind,
        now: DateTime<Utc>,
    ) -> Result<Option<Authenticated>, StoreError> {
        self.tokens_area().authenticate(secret, kind, now)
    }

    // tx.resources(kind)

    #[doc(hidden)]
    pub fn create_resource(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        resource: &Value,
        now: DateTime<Utc>,
    ) -> Result<StoredResource, StoreError> {
        self.resources(kind).create(org_id, resource, now)
    }

    #[doc(hidden)]
    pub fn get_resource(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        id: &str,
        load_members: bool,
    ) -> Result<StoredResource, StoreError> {
        self.resources(kind).get(org_id, id, load_members)
    }

    #[doc(hidden)]
    pub fn replace_resource(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        id: &str,
        resource: &Value,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<StoredResource, StoreError> {
        self.resources(kind)
            .replace(org_id, id, resource, expected_version, now)
    }

    #[doc(hidden)]
    pub fn delete_resource(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        id: &str,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.resources(kind)
            .delete(org_id, id, expected_version, now)
    }

    #[doc(hidden)]
    pub fn list_resources(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        query: &ListQuery<'_>,
    ) -> Result<Page, StoreError> {
        self.resources(kind).list(org_id, query)
    }

    #[doc(hidden)]
    pub fn list_keyset(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        query: &ListQuery<'_>,
        from: Option<&Keyset>,
    ) -> Result<KeysetPage, StoreError> {
        self.resources(kind).list_keyset(org_id, query, from)
    }

    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub fn import_resource(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        resource: &Value,
    ) -> Result<StoredResource, StoreError> {
        self.resources(kind).import(org_id, resource)
    }

    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub fn explain_list(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        query: &crate::ListQuery<'_>,
    ) -> Result<Vec<String>, StoreError> {
        self.resources(kind).explain_list(org_id, query)
    }

    // tx.members()

    #[doc(hidden)]
    pub fn patch_group(
        &mut self,
        org_id: &str,
        id: &str,
        attributes: Option<&Value>,
        member_changes: &[MemberChange],
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<StoredResource, StoreError> {
        self.members().patch_group(
            org_id,
            id,
            attributes,
            member_changes,
            expected_version,
            now,
        )
    }

    #[doc(hidden)]
    pub fn patch_group_with_delta(
        &mut self,
        org_id: &str,
        id: &str,
        attributes: Option<&Value>,
        member_changes: &[MemberChange],
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(StoredResource, MemberDelta), StoreError> {
        self.members().patch_group_with_delta(
            org_id,
            id,
            attributes,
            member_changes,
            expected_version,
            now,
        )
    }

    #[doc(hidden)]
    pub fn group_member_ids(
        &mut self,
        org_id: &str,
        group_id: &str,
        among: Option<&[String]>,
    ) -> Result<BTreeSet<String>, StoreError> {
        self.members().group_member_ids(org_id, group_id, among)
    }

    #[doc(hidden)]
    pub fn groups_of_member(
        &mut self,
        org_id: &str,
        member_id: &str,
    ) -> Result<BTreeSet<String>, StoreError> {
        self.members().groups_of_member(org_id, member_id)
    }

    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub fn explain_member_lookup(
        &mut self,
        org_id: &str,
        ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        self.members().explain_member_lookup(org_id, ids)
    }

    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub fn explain_remove_all_members(
        &mut self,
        org_id: &str,
        group_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        self.members().explain_remove_all_members(org_id, group_id)
    }

    // tx.workspaces_area()

    #[doc(hidden)]
    pub fn create_workspace(
        &mut self,
        org_id: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Workspace, StoreError> {
        self.workspaces_area().create(org_id, name, now)
    }

    #[doc(hidden)]
    pub fn workspace(&mut self, org_id: &str, id: &str) -> Result<Workspace, StoreError> {
        self.workspaces_area().get(org_id, id)
    }

    #[doc(hidden)]
    pub fn workspaces(&mut self, org_id: &str) -> Result<Vec<Workspace>, StoreError> {
        self.workspaces_area().list(org_id)
    }

    #[doc(hidden)]
    pub fn rename_workspace(
        &mut self,
        org_id: &str,
        id: &str,
        name: &str,
    ) -> Result<Workspace, StoreError> {
        self.workspaces_area().rename(org_id, id, name)
    }

    #[doc(hidden)]
    pub fn delete_workspace(&mut self, org_id: &str, id: &str) -> Result<(), StoreError> {
        self.workspaces_area().delete(org_id, id)
    }

    #[doc(hidden)]
    pub fn create_folder(
        &mut self,
        org_id: &str,
        workspace_id: &str,
        name: &str,
        team_access: TeamAccess,
        now: DateTime<Utc>,
    ) -> Result<Folder, StoreError> {
        self.workspaces_area()
            .create_folder(org_id, workspace_id, name, team_access, now)
    }

    #[doc(hidden)]
    pub fn folder(&mut self, org_id: &str, id: &str) -> Result<Folder, StoreError> {
        self.workspaces_area().folder(org_id, id)
    }

    #[doc(hidden)]
    pub fn folders(&mut self, org_id: &str, workspace_id: &str) -> Result<Vec<Folder>, StoreError> {
        self.workspaces_area().folders(org_id, workspace_id)
    }

    #[doc(hidden)]
    pub fn update_folder(
        &mut self,
        org_id: &str,
        id: &str,
        change: &FolderChange,
    ) -> Result<Folder, StoreError> {
        self.workspaces_area().update_folder(org_id, id, change)
    }

    #[doc(hidden)]
    pub fn delete_folder(&mut self, org_id: &str, id: &str) -> Result<(), StoreError> {
        self.workspaces_area().delete_folder(org_id, id)
    }

    // tx.grants_area()

    #[doc(hidden)]
    pub fn create_grant(&mut self, org_id: &str, grant: &Grant) -> Result<Grant, StoreError> {
        self.grants_area().create(org_id, grant)
    }

    #[doc(hidden)]
    pub fn principal_exists(
        &mut self,
        org_id: &str,
        principal: &Principal,
    ) -> Result<bool, StoreError> {
        self.grants_area().principal_exists(org_id, principal)
    }

    #[doc(hidden)]
    pub fn grants(&mut self, org_id: &str, filter: &GrantFilter) -> Result<Vec<Grant>, StoreError> {
        self.grants_area().list(org_id, filter)
    }

    #[doc(hidden)]
    pub fn grant(&mut self, org_id: &str, id: &str) -> Result<Grant, StoreError> {
        self.grants_area().get(org_id, id)
    }

    #[doc(hidden)]
    pub fn delete_grant(
        &mut self,
        org_id: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.grants_area().delete(org_id, id, now)
    }

    #[doc(hidden)]
    pub fn orgs_with_expired_grants(
        &mut self,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        self.grants_area().orgs_with_expired(now)
    }

    #[doc(hidden)]
    pub fn expired_grants(
        &mut self,
        org_id: &str,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Grant>, StoreError> {
        self.grants_area().expired(org_id, now, limit)
    }

    #[doc(hidden)]
    pub fn delete_expired_grant(
        &mut self,
        org_id: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.grants_area().delete_expired(org_id, id, now)
    }

    // tx.rules_area()

    #[doc(hidden)]
    pub fn create_rule(
        &mut self,
        org_id: &str,
        rule: &Rule,
        now: DateTime<Utc>,
    ) -> Result<Rule, StoreError> {
        self.rules_area().create(org_id, rule, now)
    }

    #[doc(hidden)]
    pub fn rules(&mut self, org_id: &str) -> Result<Vec<Rule>, StoreError> {
        self.rules_area().list(org_id)
    }

    #[doc(hidden)]
    pub fn delete_rule(&mut self, org_id: &str, id: &str) -> Result<(), StoreError> {
        self.rules_area().delete(org_id, id)
    }

    // tx.access()

    #[doc(hidden)]
    pub fn resource_facts(
        &mut self,
        org_id: &str,
        resource: &ResourceRef,
    ) -> Result<ResourceFacts, StoreError> {
        self.access().resource_facts(org_id, resource)
    }

    #[doc(hidden)]
    pub fn user_facts(&mut self, org_id: &str, user_id: &str) -> Result<UserFacts, StoreError> {
        self.access().user_facts(org_id, user_id)
    }

    #[doc(hidden)]
    pub fn access_candidates(
        &mut self,
        org_id: &str,
        facts: &ResourceFacts,
        owners: &[String],
    ) -> Result<Candidates, StoreError> {
        self.access().candidates(org_id, facts, owners)
    }

    #[doc(hidden)]
    pub fn explain_access(
        &mut self,
        org_id: &str,
        user_id: &str,
        resource: &ResourceRef,
        now: DateTime<Utc>,
    ) -> Result<(Explanation, GroupGraph), StoreError> {
        self.access().explain(org_id, user_id, resource, now)
    }

    #[doc(hidden)]
    pub fn who_has_access(
        &mut self,
        org_id: &str,
        resource: &ResourceRef,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, Role)>, StoreError> {
        self.access().who_has_access(org_id, resource, now)
    }

    #[doc(hidden)]
    pub fn record_join(
        &mut self,
        org_id: &str,
        user_id: &str,
        resource: &ResourceRef,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.access().record_join(org_id, user_id, resource, now)
    }

    #[doc(hidden)]
    pub fn joined(
        &mut self,
        org_id: &str,
        resource: &ResourceRef,
    ) -> Result<Vec<String>, StoreError> {
        self.access().joined(org_id, resource)
    }

    // tx.lifecycle()

    #[doc(hidden)]
    pub fn sync_deactivation(
        &mut self,
        org_id: &str,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<ActivityChange, StoreError> {
        self.lifecycle().sync_deactivation(org_id, user_id, now)
    }

    #[doc(hidden)]
    pub fn deactivated_at(
        &mut self,
        org_id: &str,
        user_id: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.lifecycle().deactivated_at(org_id, user_id)
    }

    #[doc(hidden)]
    pub fn user_active(&mut self, org_id: &str, user_id: &str) -> Result<Option<bool>, StoreError> {
        self.lifecycle().user_active(org_id, user_id)
    }

    #[doc(hidden)]
    pub fn drop_manual_grants(
        &mut self,
        org_id: &str,
        user_id: &str,
    ) -> Result<Vec<Grant>, StoreError> {
        self.lifecycle().drop_manual_grants(org_id, user_id)
    }

    #[doc(hidden)]
    pub fn delete_user(
        &mut self,
        org_id: &str,
        user_id: &str,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<DeletedUser, StoreError> {
        self.lifecycle()
            .delete_user(org_id, user_id, expected_version, now)
    }

    #[doc(hidden)]
    pub fn tombstone(&mut self, org_id: &str, user_id: &str) -> Result<Tombstone, StoreError> {
        self.lifecycle().tombstone(org_id, user_id)
    }

    #[doc(hidden)]
    pub fn purge_tombstones(
        &mut self,
        org_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        self.lifecycle().purge_tombstones(org_id, now)
    }

    #[doc(hidden)]
    pub fn owned_workspaces(
        &mut self,
        org_id: &str,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        self.lifecycle().owned_workspaces(org_id, user_id, now)
    }

    #[doc(hidden)]
    pub fn has_active_direct_owner(
        &mut self,
        org_id: &str,
        workspace_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.lifecycle()
            .has_active_direct_owner(org_id, workspace_id, now)
    }

    #[doc(hidden)]
    pub fn heir(&mut self, org_id: &str, leaving: &str) -> Result<Option<String>, StoreError> {
        self.lifecycle().heir(org_id, leaving)
    }

    #[doc(hidden)]
    pub fn hand_over_workspaces(
        &mut self,
        org_id: &str,
        leaving: &str,
        workspaces: &[String],
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Succession>, StoreError> {
        self.lifecycle()
            .hand_over_workspaces(org_id, leaving, workspaces, by, now)
    }

    #[doc(hidden)]
    pub fn hand_over_workspace(
        &mut self,
        org_id: &str,
        workspace_id: &str,
        heir: Option<&str>,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Succession, StoreError> {
        self.lifecycle()
            .hand_over_workspace(org_id, workspace_id, heir, by, now)
    }

    // tx.schemas()

    #[doc(hidden)]
    pub fn add_org_schema(
        &mut self,
        org_id: &str,
        extension: &OrgSchema,
    ) -> Result<(), StoreError> {
        self.schemas().add(org_id, extension)
    }

    #[doc(hidden)]
    pub fn org_schemas(&mut self, org_id: &str) -> Result<Vec<OrgSchema>, StoreError> {
        self.schemas().list(org_id)
    }

    #[doc(hidden)]
    pub fn delete_org_schema(&mut self, org_id: &str, urn: &str) -> Result<(), StoreError> {
        self.schemas().delete(org_id, urn)
    }

    #[doc(hidden)]
    pub fn org_schemas_version(&mut self, org_id: &str) -> Result<i64, StoreError> {
        self.schemas().version(org_id)
    }

    // tx.audit_area()

    #[doc(hidden)]
    pub fn record_audit(
        &mut self,
        org_id: &str,
        record: &NewAuditRecord<'_>,
    ) -> Result<(), StoreError> {
        self.audit_area().record(org_id, record)
    }

    #[doc(hidden)]
    pub fn audit(
        &mut self,
        org_id: &str,
        query: &AuditQuery,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        self.audit_area().query(org_id, query)
    }

    #[doc(hidden)]
    pub fn scim_write_stats(
        &mut self,
        org_id: &str,
        since: DateTime<Utc>,
    ) -> Result<ScimWriteStats, StoreError> {
        self.audit_area().scim_write_stats(org_id, since)
    }

    #[doc(hidden)]
    pub fn failed_scim_writes(
        &mut self,
        org_id: &str,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<FailedWrite>, StoreError> {
        self.audit_area().failed_scim_writes(org_id, since, limit)
    }

    // tx.outbox()

    #[doc(hidden)]
    pub fn emit_event(&mut self, org_id: &str, event: &NewEvent<'_>) -> Result<String, StoreError> {
        self.outbox().emit(org_id, event)
    }

    #[doc(hidden)]
    pub fn events_after(
        &mut self,
        org_id: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        self.outbox().events_after(org_id, after, limit)
    }

    #[doc(hidden)]
    pub fn events_after_any_org(
        &mut self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        self.outbox().events_after_any_org(after, limit)
    }

    #[doc(hidden)]
    pub fn orgs_with_pending_events(&mut self, consumer: &str) -> Result<Vec<String>, StoreError> {
        self.outbox().orgs_with_pending_events(consumer)
    }

    #[doc(hidden)]
    pub fn prune_events(
        &mut self,
        org_id: &str,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<usize, StoreError> {
        self.outbox().prune(org_id, before, limit)
    }

    // tx.webhooks_area()

    #[doc(hidden)]
    pub fn create_webhook(
        &mut self,
        org_id: &str,
        webhook: &NewWebhook<'_>,
        now: DateTime<Utc>,
    ) -> Result<Webhook, StoreError> {
        self.webhooks_area().create(org_id, webhook, now)
    }

    #[doc(hidden)]
    pub fn webhooks(&mut self, org_id: &str) -> Result<Vec<Webhook>, StoreError> {
        self.webhooks_area().list(org_id)
    }

    #[doc(hidden)]
    pub fn all_webhooks(&mut self) -> Result<Vec<Webhook>, StoreError> {
        self.webhooks_area().list_all_orgs()
    }

    #[doc(hidden)]
    pub fn delete_webhook(&mut self, org_id: &str, id: &str) -> Result<(), StoreError> {
        self.webhooks_area().delete(org_id, id)
    }

    // tx.consumers()

    #[doc(hidden)]
    pub fn ensure_consumer(
        &mut self,
        consumer: &str,
        org_id: &str,
        delivered_seq: i64,
    ) -> Result<(), StoreError> {
        self.consumers().ensure(consumer, org_id, delivered_seq)
    }

    #[doc(hidden)]
    pub fn consumer_state(
        &mut self,
        consumer: &str,
        org_id: &str,
    ) -> Result<Option<ConsumerState>, StoreError> {
        self.consumers().state(consumer, org_id)
    }

    #[doc(hidden)]
    pub fn claim_consumer(
        &mut self,
        consumer: &str,
        org_id: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<ConsumerState>, StoreError> {
        self.consumers().claim(consumer, org_id, owner, now, until)
    }

    #[doc(hidden)]
    pub fn release_consumer(
        &mut self,
        consumer: &str,
        org_id: &str,
        owner: &str,
    ) -> Result<(), StoreError> {
        self.consumers().release(consumer, org_id, owner)
    }

    #[doc(hidden)]
    pub fn advance_consumer(
        &mut self,
        consumer: &str,
        org_id: &str,
        owner: &str,
        seq: i64,
    ) -> Result<bool, StoreError> {
        self.consumers().advance(consumer, org_id, owner, seq)
    }

    #[doc(hidden)]
    pub fn record_consumer_failure(
        &mut self,
        consumer: &str,
        org_id: &str,
        owner: &str,
        attempts: u32,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> Result<bool, StoreError> {
        self.consumers()
            .record_failure(consumer, org_id, owner, attempts, next_attempt_at, error)
    }
}
