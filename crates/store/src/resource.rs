//! Users and groups: create, read, replace, patch, delete. One row per resource with the
//! columns uniqueness and hot filters need, `data` (the normalized resource without `id`,
//! `meta` and the membership attributes), the filter index rows (`values.rs`) and, for
//! groups, one `group_members` row per member.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use scim_core::patch::MemberRef;
use serde_json::{Map, Value};

use crate::members::{self, Member};
use crate::org::new_id;
use crate::sql::{Bind, Sql};
use crate::values::{self, ValueRow};
use crate::version::version_sql;
use crate::{Backend, ResourceKind, StoreError, StoredResource, Tx, timestamp};

impl ResourceKind {
    /// The `meta.resourceType`: `User` or `Group`.
    pub fn resource_type(self) -> &'static str {
        match self {
            ResourceKind::User => "User",
            ResourceKind::Group => "Group",
        }
    }

    pub(crate) fn table(self) -> &'static str {
        match self {
            ResourceKind::User => "scim_users",
            ResourceKind::Group => "scim_groups",
        }
    }

    /// Top-level keys not kept in `data` (server-assigned or stored as rows).
    fn stripped(self) -> &'static [&'static str] {
        match self {
            ResourceKind::User => &["id", "meta", "groups"],
            ResourceKind::Group => &["id", "meta", "members"],
        }
    }

    /// Top-level keys of `data` left out of the filter index: those kept in dedicated
    /// columns, and a user's `password` (a hash at most, which no filter may test:
    /// PRODUCT.md §1).
    pub(crate) fn dedicated(self) -> &'static [&'static str] {
        match self {
            ResourceKind::User => &["userName", "externalId", "password"],
            ResourceKind::Group => &["displayName", "externalId"],
        }
    }
}

/// A resource row as the queries select it.
#[derive(Debug, QueryableByName)]
pub(crate) struct ResourceRow {
    #[diesel(sql_type = Text)]
    pub(crate) id: String,
    #[diesel(sql_type = BigInt)]
    pub(crate) version: i64,
    #[diesel(sql_type = Text)]
    pub(crate) created: String,
    #[diesel(sql_type = Text)]
    pub(crate) last_modified: String,
    #[diesel(sql_type = Text)]
    pub(crate) data: String,
}

/// The select list matching [`ResourceRow`] for the row alias `r`.
pub(crate) fn row_columns(kind: ResourceKind) -> String {
    format!(
        "r.id AS id, {} AS version, r.created AS created, \
         r.last_modified AS last_modified, r.data AS data",
        version_sql(kind, "r")
    )
}

/// What a resource's columns hold, taken from its normalized JSON.
pub(crate) struct Columns {
    pub(crate) data: Map<String, Value>,
    pub(crate) name: String,
    /// The identity key of `name` (`scim_core::identity::key`), what uniqueness holds.
    pub(crate) name_key: String,
    pub(crate) external_id: Option<String>,
    pub(crate) display_name: Option<String>,
    pub(crate) active: Option<bool>,
}

fn member<'v>(object: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    object.get(key).or_else(|| {
        object
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(_, value)| value)
    })
}

pub(crate) fn columns(kind: ResourceKind, resource: &Value) -> Result<Columns, StoreError> {
    let object = resource
        .as_object()
        .ok_or_else(|| StoreError::Invalid("a resource must be a JSON object".to_owned()))?;
    let data: Map<String, Value> = object
        .iter()
        .filter(|(key, _)| !kind.stripped().iter().any(|s| s.eq_ignore_ascii_case(key)))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let text = |key: &str| {
        member(&data, key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let name_key = match kind {
        ResourceKind::User => "userName",
        ResourceKind::Group => "displayName",
    };
    let name =
        text(name_key).ok_or_else(|| StoreError::Invalid(format!("{name_key} is required")))?;
    Ok(Columns {
        name_key: scim_core::identity::key(&name),
        external_id: text("externalId"),
        display_name: text("displayName"),
        active: member(&data, "active").and_then(Value::as_bool),
        name,
        data,
    })
}

/// The value of `external_id_unique` for a row of org `org_id` with this externalId: the
/// externalId while the org's `unique_external_id` is on, else NULL (PRODUCT.md §7: not
/// unique by default), decided in the statement itself. On PostgreSQL the org's row is
/// read `FOR KEY SHARE` (what the row's foreign key takes anyway): turning the setting on
/// locks it `FOR UPDATE` first (`Orgs::set_settings`), so a write either commits before and
/// is among the rows checked, or waits and reads the setting on.
pub(crate) fn external_id_unique(
    sql: &mut Sql,
    org_id: &str,
    external_id: Option<String>,
) -> String {
    let external_id = sql.bind(Bind::OptionalText(external_id));
    let org = sql.bind(Bind::Text(org_id.to_owned()));
    let lock = match sql.backend() {
        Backend::Postgres => " FOR KEY SHARE",
        Backend::Sqlite => "",
    };
    format!(
        "(SELECT CASE WHEN o.unique_external_id THEN CAST({external_id} AS TEXT) END \
         FROM orgs o WHERE o.id = {org}{lock})"
    )
}

/// The member refs of a group body's `members`.
pub(crate) fn member_refs(resource: &Value) -> Result<Vec<MemberRef>, StoreError> {
    let Some(members) = resource
        .as_object()
        .and_then(|object| member(object, "members"))
    else {
        return Ok(Vec::new());
    };
    let elements: Vec<&Value> = match members {
        Value::Array(elements) => elements.iter().collect(),
        Value::Null => Vec::new(),
        single => vec![single],
    };
    elements
        .into_iter()
        .map(|element| {
            MemberRef::parse(element).map_err(|error| StoreError::InvalidMember(error.detail))
        })
        .collect()
}

/// The server-assigned parts of a new resource.
pub(crate) struct Assigned {
    pub(crate) id: String,
    pub(crate) created: DateTime<Utc>,
    pub(crate) last_modified: DateTime<Utc>,
    pub(crate) version: i64,
}

impl<'c> Tx<'c> {
    /// The users or the groups: create, read, replace, delete, list.
    pub fn resources(&mut self, kind: ResourceKind) -> Resources<'_, 'c> {
        Resources { tx: self, kind }
    }

    /// The users: [`Tx::resources`] of [`ResourceKind::User`].
    pub fn users(&mut self) -> Resources<'_, 'c> {
        self.resources(ResourceKind::User)
    }

    /// The groups: [`Tx::resources`] of [`ResourceKind::Group`] (their members:
    /// [`Tx::members`]).
    pub fn groups(&mut self) -> Resources<'_, 'c> {
        self.resources(ResourceKind::Group)
    }
}

/// The users or the groups of an organization, in a transaction ([`Tx::resources`]).
#[derive(Debug)]
pub struct Resources<'t, 'c> {
    pub(crate) tx: &'t mut Tx<'c>,
    pub(crate) kind: ResourceKind,
}

impl Resources<'_, '_> {
    /// Store a new resource (the output of `scim_core::validate_resource`): assigns `id` and
    /// `meta`. For a group, `members` become member rows (each must be a user or group of the org).
    pub fn create(
        &mut self,
        org_id: &str,
        resource: &Value,
        now: DateTime<Utc>,
    ) -> Result<StoredResource, StoreError> {
        let assigned = Assigned {
            id: new_id(),
            created: now,
            last_modified: now,
            version: 1,
        };
        self.tx
            .insert_resource(org_id, self.kind, resource, assigned)
    }

    /// A resource by id; group members are loaded only when asked.
    pub fn get(
        &mut self,
        org_id: &str,
        id: &str,
        load_members: bool,
    ) -> Result<StoredResource, StoreError> {
        self.get_locked(org_id, id, load_members, "")
    }

    /// A resource by id (without group members) that the transaction is about to change:
    /// on PostgreSQL its row is locked (`FOR UPDATE`) until the end of the transaction, so
    /// what the write reads after it (the access it changes, the rules it checks) is not
    /// changed by a concurrent write to the same resource before it commits. (SQLite
    /// writes take the database lock anyway.)
    pub fn get_for_write(&mut self, org_id: &str, id: &str) -> Result<StoredResource, StoreError> {
        let lock = match self.tx.backend {
            Backend::Postgres => " FOR UPDATE OF r",
            Backend::Sqlite => "",
        };
        self.get_locked(org_id, id, false, lock)
    }

    fn get_locked(
        &mut self,
        org_id: &str,
        id: &str,
        load_members: bool,
        lock: &str,
    ) -> Result<StoredResource, StoreError> {
        let kind = self.kind;
        let mut sql = Sql::new(self.tx.backend);
        sql.cacheable();
        let org = sql.bind(Bind::Text(org_id.to_owned()));
        let id_bind = sql.bind(Bind::Text(id.to_owned()));
        sql.push(&format!(
            "SELECT {} FROM {} r WHERE r.org_id = {org} AND r.id = {id_bind}{lock}",
            row_columns(kind),
            kind.table()
        ));
        let row: ResourceRow = sql.optional(self.tx.conn)?.ok_or(StoreError::NotFound)?;
        let mut resources = self.tx.assemble(org_id, kind, vec![row], load_members)?;
        resources.pop().ok_or(StoreError::NotFound)
    }
}

impl Tx<'_> {
    /// Insert a resource with the given server-assigned parts.
    pub(crate) fn insert_resource(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        resource: &Value,
        assigned: Assigned,
    ) -> Result<StoredResource, StoreError> {
        let columns = columns(kind, resource)?;
        let data_text = Value::Object(columns.data.clone()).to_string();
        let mut sql = Sql::new(self.backend);
        sql.cacheable();
        let id = Bind::Text(assigned.id.clone());
        let common = [
            Bind::Text(org_id.to_owned()),
            Bind::Text(columns.name.clone()),
            Bind::Text(columns.name_key.clone()),
            Bind::OptionalText(columns.external_id.clone()),
        ];
        let times = [
            Bind::BigInt(assigned.version),
            Bind::Text(timestamp::to_db(assigned.created)),
            Bind::Text(timestamp::to_db(assigned.last_modified)),
            Bind::Text(data_text.clone()),
        ];
        let binds: Vec<Bind> = match kind {
            ResourceKind::User => std::iter::once(id)
                .chain(common)
                .chain([
                    Bind::OptionalText(columns.display_name.clone()),
                    Bind::OptionalBool(columns.active),
                ])
                .chain(times)
                .collect(),
            ResourceKind::Group => std::iter::once(id).chain(common).chain(times).collect(),
        };
        let names = match kind {
            ResourceKind::User => {
                "scim_users (id, org_id, user_name, user_name_key, external_id, display_name, active, version, created, last_modified, data, external_id_unique)"
            }
            ResourceKind::Group => {
                "scim_groups (id, org_id, display_name, display_name_key, external_id, version, created, last_modified, data, external_id_unique)"
            }
        };
        let mut placeholders: Vec<String> = binds.into_iter().map(|bind| sql.bind(bind)).collect();
        let unique = external_id_unique(&mut sql, org_id, columns.external_id.clone());
        placeholders.push(unique);
        sql.push(&format!(
            "INSERT INTO {names} VALUES ({})",
            placeholders.join(", ")
        ));
        sql.execute(self.conn)?;
        if kind == ResourceKind::User {
            self.inserted_users
                .push((org_id.to_owned(), assigned.id.clone()));
        }
        let rows = values::index_rows(&Value::Object(columns.data), kind.dedicated());
        values::insert_rows(self.conn, self.backend, org_id, &assigned.id, &rows)?;
        // A new user is in no group yet; a new group has exactly the members just inserted.
        let mut extra = Vec::new();
        if kind == ResourceKind::Group {
            let refs = member_refs(resource)?;
            let mut members =
                members::resolve_members(self.conn, self.backend, org_id, &assigned.id, &refs)?;
            let joined =
                members::insert_members(self.conn, self.backend, org_id, &assigned.id, &members)?;
            members::touch_users(self.conn, self.backend, org_id, &joined)?;
            members.sort_by(|a, b| a.id.cmp(&b.id));
            extra = members.iter().map(Member::to_value).collect();
        }
        let row = ResourceRow {
            id: assigned.id,
            version: assigned.version,
            created: timestamp::to_db(assigned.created),
            last_modified: timestamp::to_db(assigned.last_modified),
            data: data_text,
        };
        stored_resource(kind, row, "members", extra)
    }

    pub(crate) fn write_index(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        id: &str,
        data: &Map<String, Value>,
    ) -> Result<(), StoreError> {
        let rows: Vec<ValueRow> =
            values::index_rows(&Value::Object(data.clone()), kind.dedicated());
        values::write_rows(self.conn, self.backend, org_id, id, &rows)
    }

    /// Turn rows into resources, with users' groups and (when asked) groups' members.
    pub(crate) fn assemble(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        rows: Vec<ResourceRow>,
        load_members: bool,
    ) -> Result<Vec<StoredResource>, StoreError> {
        let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
        let mut attached = match kind {
            ResourceKind::User => members::load_user_groups(self.conn, self.backend, org_id, &ids)?,
            ResourceKind::Group if load_members => {
                members::load_members(self.conn, self.backend, org_id, &ids)?
            }
            ResourceKind::Group => Default::default(),
        };
        let attribute = match kind {
            ResourceKind::User => "groups",
            ResourceKind::Group => "members",
        };
        rows.into_iter()
            .map(|row| {
                let extra = attached.remove(&row.id).unwrap_or_default();
                stored_resource(kind, row, attribute, extra)
            })
            .collect()
    }
}

/// The resource as returned: `schemas`, `id`, the stored attributes, `groups`/`members`
/// when there are any, and `meta`.
fn stored_resource(
    kind: ResourceKind,
    row: ResourceRow,
    attribute: &str,
    extra: Vec<Value>,
) -> Result<StoredResource, StoreError> {
    let data: Map<String, Value> = match serde_json::from_str(&row.data)? {
        Value::Object(object) => object,
        _ => {
            return Err(StoreError::Database(
                "stored data is not an object".to_owned(),
            ));
        }
    };
    let created = timestamp::from_db(&row.created)?;
    let last_modified = timestamp::from_db(&row.last_modified)?;
    let mut resource = Map::new();
    if let Some(schemas) = member(&data, "schemas") {
        resource.insert("schemas".into(), schemas.clone());
    }
    resource.insert("id".into(), Value::String(row.id.clone()));
    for (key, value) in data {
        if !key.eq_ignore_ascii_case("schemas") {
            resource.insert(key, value);
        }
    }
    if !extra.is_empty() {
        resource.insert(attribute.to_owned(), Value::Array(extra));
    }
    let mut meta = Map::new();
    meta.insert(
        "resourceType".into(),
        Value::String(kind.resource_type().into()),
    );
    meta.insert(
        "created".into(),
        Value::String(timestamp::to_rfc3339(created)),
    );
    meta.insert(
        "lastModified".into(),
        Value::String(timestamp::to_rfc3339(last_modified)),
    );
    meta.insert(
        "version".into(),
        Value::String(format!("W/\"{}\"", row.version)),
    );
    resource.insert("meta".into(), Value::Object(meta));
    Ok(StoredResource {
        id: row.id,
        version: row.version,
        created,
        last_modified,
        resource: Value::Object(resource),
    })
}
