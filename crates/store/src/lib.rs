#![doc = include_str!("../README.md")]
//! API CONTRACT (written first so the HTTP crate and the binary can code against it; the
//! implementation may move bodies into modules but keeps these names and signatures).

use chrono::{DateTime, Utc};
use scim_core::filter::{ResolvedAttribute, ResolvedFilter};
use scim_core::patch::MemberChange;
use scim_core::{Dialect, ScimError};
use serde_json::Value;

/// Which database a [`Store`] talks to, chosen from the URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// `sqlite://path` (bundled SQLite).
    Sqlite,
    /// `postgres://…` or `postgresql://…`.
    Postgres,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No such resource in this organization (a foreign id is not found too).
    #[error("not found")]
    NotFound,
    /// A uniqueness constraint was violated; the string names the attribute (`userName`, ...).
    #[error("{0} is already taken")]
    Uniqueness(String),
    /// `If-Match` named another version than the stored one.
    #[error("version mismatch: the resource is at version {current}")]
    VersionMismatch {
        /// The stored version.
        current: i64,
    },
    /// A group member names no user or group of the organization.
    #[error("invalid member: {0}")]
    InvalidMember(String),
    /// A `replace` of `members[filter]` matched no member.
    #[error("no member matches: {0}")]
    NoTarget(String),
    /// The URL is not a supported database URL.
    #[error("unsupported database URL: {0}")]
    InvalidUrl(String),
    /// Migrations failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// No connection could be had from the pool.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(String),
}

impl From<StoreError> for ScimError {
    fn from(error: StoreError) -> Self {
        todo!(
            "map: NotFound 404, Uniqueness 409 uniqueness, VersionMismatch 412, InvalidMember 400 invalidValue, NoTarget 400 noTarget, others 500/503 without leaking internals: {error}"
        )
    }
}

/// Pool and connection settings.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Connections in the pool.
    pub max_connections: u32,
    /// How long to wait for a connection.
    pub connection_timeout: std::time::Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 8,
            connection_timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// An organization (tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its IdP dialect setting.
    pub dialect: Dialect,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// The two kinds of API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A SCIM bearer token (`/scim/v2`).
    Scim,
    /// An admin token (`/admin/v1`).
    Admin,
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Its id (the actor in audit records).
    pub id: String,
    /// Its organization.
    pub org_id: String,
    /// SCIM or admin.
    pub kind: TokenKind,
    /// A label.
    pub name: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A freshly created token: the secret is shown once and stored only as a hash.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The stored part.
    pub info: TokenInfo,
    /// The bearer secret, e.g. `rc_scim_<id>_<random>`.
    pub secret: String,
}

/// Who a valid token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The organization.
    pub org_id: String,
    /// The token's id.
    pub token_id: String,
    /// The organization's dialect.
    pub dialect: Dialect,
}

/// The SCIM resource types the store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// `/Users`.
    User,
    /// `/Groups`.
    Group,
}

/// A stored resource with its server-assigned parts.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResource {
    /// The id.
    pub id: String,
    /// The version, bumped by every change.
    pub version: i64,
    /// Creation time.
    pub created: DateTime<Utc>,
    /// Last change.
    pub last_modified: DateTime<Utc>,
    /// The normalized resource with `id` and `meta` (`resourceType`, `created`,
    /// `lastModified`, `version`; no `location`, which the HTTP layer adds). A user
    /// carries its read-only `groups`; a group its `members` when they were loaded.
    pub resource: Value,
}

impl StoredResource {
    /// The weak ETag of the version, `W/"<version>"`.
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.version)
    }
}

/// A sort key.
#[derive(Debug, Clone, Copy)]
pub struct Sort<'a> {
    /// The attribute (resolved by `scim_core::filter`), e.g. `userName`, `name.familyName`.
    pub attribute: &'a ResolvedAttribute,
    /// `sortOrder=descending`.
    pub descending: bool,
}

/// A list request (`GET /Users?filter=…&startIndex=…&count=…`).
#[derive(Debug, Clone, Copy)]
pub struct ListQuery<'a> {
    /// The filter, resolved against the resource type.
    pub filter: Option<&'a ResolvedFilter>,
    /// The sort key; without one, creation order (then id).
    pub sort: Option<Sort<'a>>,
    /// 1-based index of the first result (already clamped to >= 1).
    pub start_index: u64,
    /// Page size (already clamped by the caller; 0 returns only the total).
    pub count: u64,
    /// Whether group `members` are loaded (`excludedAttributes=members` says no).
    pub load_members: bool,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// How many resources match the filter in all.
    pub total_results: u64,
    /// The page, in order.
    pub resources: Vec<StoredResource>,
}

/// A pool of connections to one database.
#[derive(Clone)]
pub struct Store {
    _private: (),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Connect to `url` (`sqlite://path`, `postgres://…`), build the pool and run pending migrations.
    pub fn open(url: &str, options: &StoreOptions) -> Result<Store, StoreError> {
        todo!("{url} {options:?}")
    }

    /// Run pending migrations on `url` and return their names (`rollcall migrate`).
    pub fn migrate(url: &str) -> Result<Vec<String>, StoreError> {
        todo!("{url}")
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        todo!()
    }

    /// The pool size (the HTTP layer sizes its semaphore with it).
    pub fn max_connections(&self) -> u32 {
        todo!()
    }

    /// Run `f` in a write transaction (`BEGIN IMMEDIATE` on SQLite). Blocking: call it from
    /// a blocking thread. Rolled back when `f` fails.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _ = f;
        todo!()
    }

    /// Run `f` in a read transaction. Blocking.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _ = f;
        todo!()
    }
}

/// One transaction on one connection. Every method is scoped to an organization
/// (tenant isolation: another org's id is [`StoreError::NotFound`]).
pub struct Tx<'c> {
    _conn: std::marker::PhantomData<&'c mut ()>,
}

impl std::fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx").finish_non_exhaustive()
    }
}

impl Tx<'_> {
    /// Create an organization.
    pub fn create_org(&mut self, name: &str, now: DateTime<Utc>) -> Result<Org, StoreError> {
        todo!("{name} {now}")
    }

    /// An organization by id.
    pub fn org(&mut self, org_id: &str) -> Result<Option<Org>, StoreError> {
        todo!("{org_id}")
    }

    /// Every organization, oldest first.
    pub fn orgs(&mut self) -> Result<Vec<Org>, StoreError> {
        todo!()
    }

    /// Set an organization's dialect.
    pub fn set_dialect(&mut self, org_id: &str, dialect: Dialect) -> Result<(), StoreError> {
        todo!("{org_id} {dialect:?}")
    }

    /// Create a token; its secret is returned once and stored as a SHA-256 hash.
    pub fn create_token(
        &mut self,
        org_id: &str,
        kind: TokenKind,
        name: Option<&str>,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<NewToken, StoreError> {
        todo!("{org_id} {kind:?} {name:?} {expires_at:?} {now}")
    }

    /// An organization's tokens (of one kind, or all), oldest first.
    pub fn tokens(
        &mut self,
        org_id: &str,
        kind: Option<TokenKind>,
    ) -> Result<Vec<TokenInfo>, StoreError> {
        todo!("{org_id} {kind:?}")
    }

    /// Revoke a token; false when the org has no such token.
    pub fn revoke_token(
        &mut self,
        org_id: &str,
        token_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        todo!("{org_id} {token_id} {now}")
    }

    /// The organization of a valid (known, of this kind, unexpired, unrevoked) token
    /// secret, compared in constant time.
    pub fn authenticate(
        &mut self,
        secret: &str,
        kind: TokenKind,
        now: DateTime<Utc>,
    ) -> Result<Option<Authenticated>, StoreError> {
        todo!("{secret} {kind:?} {now}")
    }

    /// Store a new resource (the output of `scim_core::validate_resource`): assigns `id` and
    /// `meta`. For a group, `members` become member rows (each must be a user or group of the org).
    pub fn create_resource(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        resource: &Value,
        now: DateTime<Utc>,
    ) -> Result<StoredResource, StoreError> {
        todo!("{org_id} {kind:?} {resource} {now}")
    }

    /// A resource by id; group members are loaded only when asked.
    pub fn get_resource(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        id: &str,
        load_members: bool,
    ) -> Result<StoredResource, StoreError> {
        todo!("{org_id} {kind:?} {id} {load_members}")
    }

    /// Replace a resource with `resource` (normalized; PUT, or a user PATCH's outcome).
    /// A group's members become exactly `resource["members"]`. With `expected_version`,
    /// the version check and the write are one statement. The version is bumped only
    /// when something changed.
    pub fn replace_resource(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        id: &str,
        resource: &Value,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<StoredResource, StoreError> {
        todo!("{org_id} {kind:?} {id} {resource} {expected_version:?} {now}")
    }

    /// Apply a group PATCH plan: `attributes` (the member-less group after the PATCH, when
    /// its own attributes changed) and the member deltas, in time proportional to the
    /// change. The version is bumped when anything changed. Members are not loaded in the result.
    pub fn patch_group(
        &mut self,
        org_id: &str,
        id: &str,
        attributes: Option<&Value>,
        member_changes: &[MemberChange],
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<StoredResource, StoreError> {
        todo!("{org_id} {id} {attributes:?} {member_changes:?} {expected_version:?} {now}")
    }

    /// Delete a resource and its membership rows.
    pub fn delete_resource(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError> {
        todo!("{org_id} {kind:?} {id} {expected_version:?}")
    }

    /// One page of resources matching a filter, run as SQL (never by loading the org).
    pub fn list_resources(
        &mut self,
        org_id: &str,
        kind: ResourceKind,
        query: &ListQuery<'_>,
    ) -> Result<Page, StoreError> {
        todo!("{org_id} {kind:?} {query:?}")
    }
}
