//! An organization's settings (PRODUCT.md §4). Its dialect (§3) lives with the SCIM side.

use serde::{Deserialize, Serialize};

/// The settings of an organization, with their decided defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSettings {
    /// Whether members (not only maintainers and owners) may create workspaces.
    pub allow_members_create_workspaces: bool,
    /// The user who receives ownership when an owner is deleted.
    pub successor: Option<String>,
    /// Days during which a deactivated user can be reactivated with their access.
    pub reactivation_window_days: u32,
    /// Days after deactivation at which a user is purged.
    pub purge_after_days: u32,
    /// Whether a first access also writes a manual grant (off: joins grant nothing).
    pub sticky_joins: bool,
    /// The organization's owners (SCIM user ids): `owner` on every workspace of the org.
    #[serde(default)]
    pub owners: Vec<String>,
    /// Whether `externalId` is unique among the org's users (and among its groups). Off by
    /// default: Entra's default mapping sends `mailNickname`, which can repeat (PRODUCT.md §7).
    #[serde(default)]
    pub unique_external_id: bool,
    /// What becomes of a `password` an IdP sends (PRODUCT.md §1: never kept in clear).
    #[serde(default)]
    pub password_storage: PasswordStorage,
    /// Days the audit trail keeps a record; `None` (the default) keeps every record
    /// forever. Older records are pruned behind a checkpoint from which the hash chain
    /// still verifies (PRODUCT.md §6).
    #[serde(default)]
    pub audit_retention_days: Option<u32>,
    /// Requests per second each of the org's credentials may make, per instance, once its
    /// burst is spent (PRODUCT.md §8).
    #[serde(default = "default_rate_limit_per_second")]
    pub rate_limit_per_second: u32,
    /// Requests a credential may make at once, per instance, before the rate applies.
    #[serde(default = "default_rate_limit_burst")]
    pub rate_limit_burst: u32,
}

/// `rate_limit_per_second` by default: well above the 25 a second Entra sends.
pub const DEFAULT_RATE_LIMIT_PER_SECOND: u32 = 100;

/// `rate_limit_burst` by default.
pub const DEFAULT_RATE_LIMIT_BURST: u32 = 200;

fn default_rate_limit_per_second() -> u32 {
    DEFAULT_RATE_LIMIT_PER_SECOND
}

fn default_rate_limit_burst() -> u32 {
    DEFAULT_RATE_LIMIT_BURST
}

/// What becomes of a `password` an IdP sends: Rollcall authenticates nobody, so by default
/// it is dropped; an embedder that verifies passwords through the library keeps a hash.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PasswordStorage {
    /// Accepted and dropped (Okta's and Entra's password sync must not fail provisioning).
    #[default]
    Discard,
    /// Kept only as an argon2id PHC string.
    Argon2id,
}

impl PasswordStorage {
    /// The setting as the admin API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            PasswordStorage::Discard => "discard",
            PasswordStorage::Argon2id => "argon2id",
        }
    }

    /// The setting spelt `text`, if any.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "discard" => Some(PasswordStorage::Discard),
            "argon2id" => Some(PasswordStorage::Argon2id),
            _ => None,
        }
    }
}

impl Default for OrgSettings {
    fn default() -> Self {
        OrgSettings {
            allow_members_create_workspaces: false,
            successor: None,
            reactivation_window_days: 30,
            purge_after_days: 30,
            sticky_joins: false,
            owners: Vec::new(),
            unique_external_id: false,
            password_storage: PasswordStorage::Discard,
            audit_retention_days: None,
            rate_limit_per_second: DEFAULT_RATE_LIMIT_PER_SECOND,
            rate_limit_burst: DEFAULT_RATE_LIMIT_BURST,
        }
    }
}
