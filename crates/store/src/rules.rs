//! Group mapping rules (PRODUCT.md §4), the area [`Rules`]: "groups named like this get
//! this role on the workspaces named like that", scoped to an organization.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use org_model::{Role, Rule};

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
}

impl RuleRow {
    fn into_rule(self) -> Result<Rule, StoreError> {
        Ok(Rule {
            role: role_of(&self.role)?,
            id: self.id,
            group: self.group_glob,
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
    /// Store a group mapping rule (its `id` is assigned); a rule grants to groups, so it
    /// gives at most `maintainer` ([`StoreError::Invalid`] otherwise).
    pub fn create(
        &mut self,
        org_id: &str,
        rule: &Rule,
        now: DateTime<Utc>,
    ) -> Result<Rule, StoreError> {
        if rule.role > Role::Maintainer {
            return Err(StoreError::Invalid(
                "a rule grants to groups: at most maintainer".to_owned(),
            ));
        }
        let mut stored = rule.clone();
        stored.id = new_id();
        diesel::insert_into(access_rules::table)
            .values(RuleRow {
                id: stored.id.clone(),
                org_id: org_id.to_owned(),
                group_glob: stored.group.clone(),
                workspace_glob: stored.workspaces.clone(),
                role: stored.role.as_str().to_owned(),
                created_at: timestamp::to_db(now),
            })
            .execute(self.tx.conn)?;
        Ok(stored)
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
