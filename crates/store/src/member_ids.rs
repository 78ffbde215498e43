//! Which ids are members of a group, and which groups an id is a member of, for reporting
//! the members a change actually added or removed (the `group.member_added` /
//! `group.member_removed` events, deletions included).

use std::collections::BTreeSet;

use diesel::QueryableByName;
use diesel::sql_types::Text;

use crate::StoreError;
use crate::members::Members;
use crate::sql::{Bind, Sql};

/// Ids per lookup statement (bind limits).
const CHUNK: usize = 500;

#[derive(QueryableByName)]
struct MemberRow {
    #[diesel(sql_type = Text)]
    member_id: String,
}

impl Members<'_, '_> {
    /// The member ids of the group: all of them (`among: None`; cost proportional to the
    /// group), or those of `among` that are members (cost proportional to `among`).
    pub fn group_member_ids(
        &mut self,
        org_id: &str,
        group_id: &str,
        among: Option<&[String]>,
    ) -> Result<BTreeSet<String>, StoreError> {
        let chunks: Vec<Option<&[String]>> = match among {
            None => vec![None],
            Some(ids) => ids.chunks(CHUNK).map(Some).collect(),
        };
        let mut found = BTreeSet::new();
        for chunk in chunks {
            let mut select = Sql::new(self.tx.backend);
            // A few shapes only (all members, or a short list of ids): kept prepared.
            if chunk.is_none_or(|ids| ids.len() <= 8) {
                select.cacheable();
            }
            select.push("SELECT member_id FROM group_members WHERE org_id = ");
            select.push_bind(Bind::Text(org_id.to_owned()));
            select
                .push(" AND group_id = ")
                .push_bind(Bind::Text(group_id.to_owned()));
            if let Some(ids) = chunk {
                let list: Vec<String> = ids
                    .iter()
                    .map(|id| select.bind(Bind::Text(id.clone())))
                    .collect();
                select.push(&format!(" AND member_id IN ({})", list.join(", ")));
            }
            let rows: Vec<MemberRow> = select.load(self.tx.conn)?;
            found.extend(rows.into_iter().map(|row| row.member_id));
        }
        Ok(found)
    }
}

#[derive(QueryableByName)]
struct GroupRow {
    #[diesel(sql_type = Text)]
    group_id: String,
}

impl Members<'_, '_> {
    /// The groups `member_id` (a user or a group) is a direct member of, by id.
    pub fn groups_of_member(
        &mut self,
        org_id: &str,
        member_id: &str,
    ) -> Result<BTreeSet<String>, StoreError> {
        let mut select = Sql::new(self.tx.backend);
        select
            .cacheable()
            .push("SELECT group_id FROM group_members WHERE org_id = ")
            .push_bind(Bind::Text(org_id.to_owned()));
        select
            .push(" AND member_id = ")
            .push_bind(Bind::Text(member_id.to_owned()));
        let rows: Vec<GroupRow> = select.load(self.tx.conn)?;
        Ok(rows.into_iter().map(|row| row.group_id).collect())
    }
}
