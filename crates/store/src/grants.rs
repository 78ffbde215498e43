//! Grants (PRODUCT.md §4), the area [`Grants`], scoped to an organization. A grant is
//! checked before it is stored: its principal is a user or group of the organization, its
//! resource a workspace or folder of the organization, and it follows `Grant::check` (no
//! `owner` for groups, group grants on invite-only folders only).

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use org_model::{Grant, GrantSource, Principal, ResourceRef, Role, check_revocation};

use crate::org::new_id;
use crate::schema::{grants, scim_groups, scim_users};
use crate::sql::{Bind, Sql};
use crate::{StoreError, Tx, timestamp};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = grants)]
struct GrantRow {
    id: String,
    org_id: String,
    principal_type: String,
    principal_id: String,
    resource_type: String,
    resource_id: String,
    role: String,
    source: String,
    source_detail: Option<String>,
    expires_at: Option<String>,
    created_at: String,
}

/// What one user's access depends on of their own (see [`Tx::user_access_rows`]).
#[derive(Debug, Clone)]
pub(crate) struct UserAccessRows {
    /// Whether they are active.
    pub(crate) active: bool,
    /// `(id, displayName)` of the groups they are a direct member of.
    pub(crate) groups: Vec<(String, String)>,
    /// The grants they hold.
    pub(crate) grants: Vec<Grant>,
}

/// A row of [`Tx::user_access_rows`]: `kind` `u` (the user), `g` (a group), `r` (a grant).
#[derive(QueryableByName)]
struct AccessRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    a: String,
    #[diesel(sql_type = Nullable<Text>)]
    b: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    c: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    d: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    e: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    f: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    g: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    h: Option<String>,
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Database(format!("stored {what} {value:?} is not valid"))
}

pub(crate) fn role_of(text: &str) -> Result<Role, StoreError> {
    Role::parse(text).map_err(|_| corrupt("role", text))
}

impl GrantRow {
    fn new(org_id: &str, grant: &Grant) -> GrantRow {
        let (principal_type, principal_id) = principal_parts(&grant.principal);
        let (resource_type, resource_id) = resource_parts(&grant.resource);
        let (source, source_detail) = match &grant.source {
            GrantSource::Manual { by } => ("manual", by.clone()),
            GrantSource::Rule { rule_id } => ("rule", Some(rule_id.clone())),
        };
        GrantRow {
            id: grant.id.clone(),
            org_id: org_id.to_owned(),
            principal_type: principal_type.to_owned(),
            principal_id: principal_id.to_owned(),
            resource_type: resource_type.to_owned(),
            resource_id: resource_id.to_owned(),
            role: grant.role.as_str().to_owned(),
            source: source.to_owned(),
            source_detail,
            expires_at: grant.expires_at.map(timestamp::to_db),
            created_at: timestamp::to_db(grant.created_at),
        }
    }

    fn into_grant(self) -> Result<Grant, StoreError> {
        let principal = match self.principal_type.as_str() {
            "user" => Principal::User(self.principal_id),
            "group" => Principal::Group(self.principal_id),
            other => return Err(corrupt("principal type", other)),
        };
        let resource = match self.resource_type.as_str() {
            "workspace" => ResourceRef::Workspace(self.resource_id),
            "folder" => ResourceRef::Folder(self.resource_id),
            other => return Err(corrupt("resource type", other)),
        };
        let source = match (self.source.as_str(), self.source_detail) {
            ("manual", by) => GrantSource::Manual { by },
            ("rule", Some(rule_id)) => GrantSource::Rule { rule_id },
            (other, _) => return Err(corrupt("grant source", other)),
        };
        Ok(Grant {
            id: self.id,
            principal,
            resource,
            role: role_of(&self.role)?,
            source,
            expires_at: self
                .expires_at
                .as_deref()
                .map(timestamp::from_db)
                .transpose()?,
            created_at: timestamp::from_db(&self.created_at)?,
        })
    }
}

fn principal_parts(principal: &Principal) -> (&'static str, &str) {
    match principal {
        Principal::User(id) => ("user", id),
        Principal::Group(id) => ("group", id),
    }
}

pub(crate) fn resource_parts(resource: &ResourceRef) -> (&'static str, &str) {
    match resource {
        ResourceRef::Workspace(id) => ("workspace", id),
        ResourceRef::Folder(id) => ("folder", id),
    }
}

/// Which grants to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantFilter {
    /// Only those held by this principal.
    pub principal: Option<Principal>,
    /// Only those on this resource.
    pub resource: Option<ResourceRef>,
}

impl<'c> Tx<'c> {
    /// The grants.
    pub fn grants(&mut self) -> Grants<'_, 'c> {
        Grants { tx: self }
    }
}

/// The grants, in a transaction ([`Tx::grants`]).
#[derive(Debug)]
pub struct Grants<'t, 'c> {
    tx: &'t mut Tx<'c>,
}

impl Grants<'_, '_> {
    /// Store a new grant (its `id` is assigned). [`StoreError::InvalidMember`] when the
    /// principal is no user or group of the organization, [`StoreError::NotFound`] when the
    /// resource is not one of its workspaces or folders, [`StoreError::Invalid`] when the
    /// grant breaks a rule of `Grant::check`.
    pub fn create(&mut self, org_id: &str, grant: &Grant) -> Result<Grant, StoreError> {
        if !self.principal_exists(org_id, &grant.principal)? {
            let (kind, id) = principal_parts(&grant.principal);
            return Err(StoreError::InvalidMember(format!(
                "no {kind} {id:?} in this organization"
            )));
        }
        let folder = match &grant.resource {
            ResourceRef::Workspace(id) => {
                self.tx.workspaces().get(org_id, id)?;
                None
            }
            ResourceRef::Folder(id) => Some(self.tx.workspaces().folder(org_id, id)?),
        };
        grant
            .check(folder.as_ref())
            .map_err(|error| StoreError::Invalid(error.to_string()))?;
        let mut stored = grant.clone();
        stored.id = new_id();
        let row = GrantRow::new(org_id, &stored);
        // The same role on the same resource to the same principal, from the same source,
        // twice: deleting one would leave the access in place, which is not what an admin
        // who deletes "the" grant expects (a form sent twice made it so).
        let identical: Option<String> = grants::table
            .filter(grants::org_id.eq(org_id))
            .filter(grants::principal_type.eq(&row.principal_type))
            .filter(grants::principal_id.eq(&row.principal_id))
            .filter(grants::resource_type.eq(&row.resource_type))
            .filter(grants::resource_id.eq(&row.resource_id))
            .filter(grants::role.eq(&row.role))
            .filter(grants::source.eq(&row.source))
            .select(grants::id)
            .first(self.tx.conn)
            .optional()?;
        if let Some(existing) = identical {
            return Err(StoreError::Conflict(format!(
                "an identical grant exists ({existing}): delete it first to change its expiry"
            )));
        }
        diesel::insert_into(grants::table)
            .values(row)
            .execute(self.tx.conn)?;
        Ok(stored)
    }

    /// Whether the organization has this user or group.
    pub fn principal_exists(
        &mut self,
        org_id: &str,
        principal: &Principal,
    ) -> Result<bool, StoreError> {
        let found = match principal {
            Principal::User(id) => scim_users::table
                .filter(scim_users::org_id.eq(org_id))
                .filter(scim_users::id.eq(id))
                .count()
                .get_result::<i64>(self.tx.conn)?,
            Principal::Group(id) => scim_groups::table
                .filter(scim_groups::org_id.eq(org_id))
                .filter(scim_groups::id.eq(id))
                .count()
                .get_result::<i64>(self.tx.conn)?,
        };
        Ok(found > 0)
    }

    /// The organization's grants matching `filter`, oldest first.
    pub fn list(&mut self, org_id: &str, filter: &GrantFilter) -> Result<Vec<Grant>, StoreError> {
        let mut query = grants::table
            .filter(grants::org_id.eq(org_id))
            .order((grants::created_at, grants::id))
            .select(GrantRow::as_select())
            .into_boxed();
        if let Some(principal) = &filter.principal {
            let (kind, id) = principal_parts(principal);
            query = query
                .filter(grants::principal_type.eq(kind))
                .filter(grants::principal_id.eq(id.to_owned()));
        }
        if let Some(resource) = &filter.resource {
            let (kind, id) = resource_parts(resource);
            query = query
                .filter(grants::resource_type.eq(kind))
                .filter(grants::resource_id.eq(id.to_owned()));
        }
        query
            .load(self.tx.conn)?
            .into_iter()
            .map(GrantRow::into_grant)
            .collect()
    }

    /// A grant by id.
    pub fn get(&mut self, org_id: &str, id: &str) -> Result<Grant, StoreError> {
        grants::table
            .filter(grants::org_id.eq(org_id))
            .filter(grants::id.eq(id))
            .select(GrantRow::as_select())
            .first(self.tx.conn)
            .optional()?
            .ok_or(StoreError::NotFound)?
            .into_grant()
    }

    /// Revoke a grant, unless it is the last active Owner's of a workspace
    /// (`org_model::check_revocation` at `now`, over the grants on the same resource, the
    /// org's `owners` and the users' activity): [`StoreError::Invalid`] then.
    pub fn delete(&mut self, org_id: &str, id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let grant = self.get(org_id, id)?;
        if grant.is_user_workspace_ownership() {
            self.check_revocation(org_id, &grant, now)?;
        }
        let deleted = diesel::delete(
            grants::table
                .filter(grants::org_id.eq(org_id))
                .filter(grants::id.eq(id)),
        )
        .execute(self.tx.conn)?;
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The facts `org_model::check_revocation` needs about `grant`, and its verdict.
    fn check_revocation(
        &mut self,
        org_id: &str,
        grant: &Grant,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let org_names_owners = !self.tx.orgs().settings(org_id)?.owners.is_empty();
        let others = self.list(
            org_id,
            &GrantFilter {
                principal: None,
                resource: Some(grant.resource.clone()),
            },
        )?;
        // The rule asks about users one at a time; a failed lookup ends the answer.
        let mut lookup_failed = None;
        let verdict = check_revocation(
            grant,
            &others,
            org_names_owners,
            |user| match self.tx.lifecycle().user_active(org_id, user) {
                Ok(active) => active == Some(true),
                Err(error) => {
                    lookup_failed.get_or_insert(error);
                    false
                }
            },
            now,
        );
        if let Some(error) = lookup_failed {
            return Err(error);
        }
        verdict.map_err(|error| StoreError::Invalid(error.to_string()))
    }

    /// The organizations holding grants that have ended at `now` and are still stored (one
    /// pass over the grants that have an end date).
    pub fn orgs_with_expired(&mut self, now: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
        Ok(grants::table
            .filter(grants::expires_at.is_not_null())
            .filter(grants::expires_at.le(timestamp::to_db(now)))
            .select(grants::org_id)
            .distinct()
            .order(grants::org_id)
            .load(self.tx.conn)?)
    }

    /// Up to `limit` of the organization's grants that have ended at `now` (`expires_at` at
    /// or before it) and are still stored, the earliest ending first.
    pub fn expired(
        &mut self,
        org_id: &str,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Grant>, StoreError> {
        grants::table
            .filter(grants::org_id.eq(org_id))
            .filter(grants::expires_at.is_not_null())
            .filter(grants::expires_at.le(timestamp::to_db(now)))
            .order((grants::expires_at, grants::id))
            .limit(limit)
            .select(GrantRow::as_select())
            .load(self.tx.conn)?
            .into_iter()
            .map(GrantRow::into_grant)
            .collect()
    }

    /// Remove grant `id` if it has ended at `now`; whether this removed it (another process
    /// may have been first). Unlike [`Grants::delete`] this refuses nothing: an ended
    /// grant gives no role already, whoever else holds one.
    pub fn delete_expired(
        &mut self,
        org_id: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let deleted = diesel::delete(
            grants::table
                .filter(grants::org_id.eq(org_id))
                .filter(grants::id.eq(id))
                .filter(grants::expires_at.le(timestamp::to_db(now))),
        )
        .execute(self.tx.conn)?;
        Ok(deleted > 0)
    }
}

impl Tx<'_> {
    /// Every grant a group holds in the organization (a statement the cache keeps).
    pub(crate) fn group_grants(&mut self, org_id: &str) -> Result<Vec<Grant>, StoreError> {
        grants::table
            .filter(grants::org_id.eq(org_id))
            .filter(grants::principal_type.eq("group"))
            .select(GrantRow::as_select())
            .load(self.conn)?
            .into_iter()
            .map(GrantRow::into_grant)
            .collect()
    }

    /// Every grant the users `ids` hold themselves (one statement: pass at most a few
    /// hundred ids).
    pub(crate) fn grants_of_users(
        &mut self,
        org_id: &str,
        ids: &[String],
    ) -> Result<Vec<Grant>, StoreError> {
        grants::table
            .filter(grants::org_id.eq(org_id))
            .filter(grants::principal_type.eq("user"))
            .filter(grants::principal_id.eq_any(ids))
            .select(GrantRow::as_select())
            .load(self.conn)?
            .into_iter()
            .map(GrantRow::into_grant)
            .collect()
    }

    /// What the access of user `user_id` depends on of their own, in one statement (the
    /// cache keeps it): whether they are active, the groups they are a direct member of
    /// (with names), the grants they hold. `None` when the organization has no such user.
    pub(crate) fn user_access_rows(
        &mut self,
        org_id: &str,
        user_id: &str,
    ) -> Result<Option<UserAccessRows>, StoreError> {
        let mut sql = Sql::new(self.backend);
        let org = sql.bind(Bind::Text(org_id.to_owned()));
        let user = sql.bind(Bind::Text(user_id.to_owned()));
        let none = "CAST(NULL AS TEXT)";
        sql.cacheable().push(&format!(
            "SELECT 'u' AS kind, org_id AS a, \
               CASE WHEN active IS NULL OR active THEN 't' ELSE 'f' END AS b, \
               {none} AS c, {none} AS d, {none} AS e, {none} AS f, {none} AS g, {none} AS h \
             FROM scim_users WHERE id = {user} \
             UNION ALL \
             SELECT 'g', m.group_id, g.display_name, {none}, {none}, {none}, {none}, {none}, {none} \
             FROM group_members m JOIN scim_groups g ON g.id = m.group_id \
             WHERE m.org_id = {org} AND m.member_id = {user} \
             UNION ALL \
             SELECT 'r', id, resource_type, resource_id, role, source, source_detail, \
               expires_at, created_at \
             FROM grants WHERE org_id = {org} AND principal_type = 'user' \
               AND principal_id = {user}"
        ));
        let rows: Vec<AccessRow> = sql.load(self.conn)?;
        let mut found = UserAccessRows {
            active: true,
            groups: Vec::new(),
            grants: Vec::new(),
        };
        let mut of_org = false;
        for row in rows {
            match row.kind.as_str() {
                // By primary key: the org is checked here.
                "u" => {
                    of_org = row.a == org_id;
                    found.active = row.b.as_deref() != Some("f");
                }
                "g" => found.groups.push((row.a, row.b.unwrap_or_default())),
                _ => {
                    let text = |value: Option<String>| value.unwrap_or_default();
                    found.grants.push(
                        GrantRow {
                            id: row.a,
                            org_id: org_id.to_owned(),
                            principal_type: "user".to_owned(),
                            principal_id: user_id.to_owned(),
                            resource_type: text(row.b),
                            resource_id: text(row.c),
                            role: text(row.d),
                            source: text(row.e),
                            source_detail: row.f,
                            expires_at: row.g,
                            created_at: text(row.h),
                        }
                        .into_grant()?,
                    );
                }
            }
        }
        Ok(of_org.then_some(found))
    }

    /// Remove every grant a principal holds (a deleted group's, for one).
    pub(crate) fn delete_grants_of(
        &mut self,
        org_id: &str,
        principal: &Principal,
    ) -> Result<(), StoreError> {
        let (kind, id) = principal_parts(principal);
        diesel::delete(
            grants::table
                .filter(grants::org_id.eq(org_id))
                .filter(grants::principal_type.eq(kind))
                .filter(grants::principal_id.eq(id)),
        )
        .execute(self.conn)?;
        Ok(())
    }
}
