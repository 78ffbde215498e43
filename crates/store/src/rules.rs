//! Mapping rules (PRODUCT.md §4), the area [`Rules`]: "groups named like this get this role
//! on the workspaces named like that", or "users whose attributes match this filter get …"
//! (attribute rules, `attribute_rules.rs`), scoped to an organization.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use org_model::{Role, Rule, RuleSubject};

use crate::grants::role_of;
use crate::org::new_id;
use crate::schema::access_rules;
use crate::{StoreError, Tx, timestamp};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = access_rules)]
struct RuleRow {
    id: String,
    org_id: String,
    group_glob: String,
    workspace_glob: String,
    role: String,
    created_at: String,
    filter: Option<String>,
}

impl RuleRow {
    fn into_rule(self) -> Result<Rule, StoreError> {
        Ok(Rule {
            role: role_of(&self.role)?,
            id: self.id,
            subject: match self.filter {
                Some(filter) => RuleSubject::Filter(filter),
                None => RuleSubject::Group(self.group_glob),
            },
            workspaces: self.workspace_glob,
        })
    }
}

impl<'c> Tx<'c> {
    /// The group mapping rules.
    pub fn rules(&mut self) -> Rules<'_, 'c> {
        Rules { tx: self }
    }
}

/// The group mapping rules, in a transaction ([`Tx::rules`]).
#[derive(Debug)]
pub struct Rules<'t, 'c> {
    tx: &'t mut Tx<'c>,
}

impl Rules<'_, '_> {
    /// Store a mapping rule (its `id` is assigned). A rule gives at most `maintainer`; an
    /// attribute rule's filter must resolve on the organization's users and name none of
    /// `groups`, `id`, `meta`, `password` ([`StoreError::Invalid`] otherwise, naming the
    /// byte where the filter goes wrong).
    pub fn create(
        &mut self,
        org_id: &str,
        rule: &Rule,
        now: DateTime<Utc>,
    ) -> Result<Rule, StoreError> {
        if rule.role > Role::Maintainer {
            return Err(StoreError::Invalid(
                "a rule gives at most maintainer (owner is only ever granted to a user directly)"
                    .to_owned(),
            ));
        }
        let mut stored = rule.clone();
        if let RuleSubject::Filter(text) = &rule.subject {
            let registry = self.tx.user_registry(org_id)?;
            crate::attribute_rules::check_filter(&registry, text).map_err(StoreError::Invalid)?;
        }
        stored.id = new_id();
        diesel::insert_into(access_rules::table)
            .values(RuleRow {
                id: stored.id.clone(),
                org_id: org_id.to_owned(),
                group_glob: stored.group_glob().unwrap_or_default().to_owned(),
                workspace_glob: stored.workspaces.clone(),
                role: stored.role.as_str().to_owned(),
                created_at: timestamp::to_db(now),
                filter: stored.filter().map(str::to_owned),
            })
            .execute(self.tx.conn)?;
        Ok(stored)
    }

    /// The organization's attribute rules whose filter does not resolve against `registry`
    /// (the registry a change of its schemas would leave), or resolves differently than
    /// against the current one; each with why.
    pub fn broken_by(
        &mut self,
        org_id: &str,
        registry: &scim_core::SchemaRegistry,
    ) -> Result<Vec<(Rule, String)>, StoreError> {
        let current = self.tx.user_registry(org_id)?;
        let mut broken = Vec::new();
        for rule in self.list(org_id)? {
            let Some(text) = rule.filter() else { continue };
            // A rule broken already (by hand: changes that break one are refused) is not
            // this change's to protect.
            let Ok(now) = crate::attribute_rules::check_filter(&current, text) else {
                continue;
            };
            match crate::attribute_rules::check_filter(registry, text) {
                Err(why) => broken.push((rule, why)),
                Ok(then) if then != now => {
                    broken.push((rule, "it would match on a different attribute".to_owned()));
                }
                Ok(_) => {}
            }
        }
        Ok(broken)
    }

    /// The organization's rules, oldest first.
    pub fn list(&mut self, org_id: &str) -> Result<Vec<Rule>, StoreError> {
        access_rules::table
            .filter(access_rules::org_id.eq(org_id))
            .order((access_rules::created_at, access_rules::id))
            .select(RuleRow::as_select())
            .load(self.tx.conn)?
            .into_iter()
            .map(RuleRow::into_rule)
            .collect()
    }

    /// Delete a rule.
    pub fn delete(&mut self, org_id: &str, id: &str) -> Result<(), StoreError> {
        let deleted = diesel::delete(
            access_rules::table
                .filter(access_rules::org_id.eq(org_id))
                .filter(access_rules::id.eq(id)),
        )
        .execute(self.tx.conn)?;
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
