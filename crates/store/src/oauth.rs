//! OAuth 2.0 clients (the client credentials grant, RFC 6749 §4.4) and the keys that sign
//! their access tokens.
//!
//! - A client is `rc_client_<id>` with a secret `rc_csecret_<64 hex>`; only the SHA-256 of
//!   the secret is stored and it is compared in constant time. Revoking a client refuses
//!   its tokens on their next use: the token's client is looked up on every request.
//! - Signing keys are per organization, 32 random bytes (HS256), sealed (`sealed.rs`). The
//!   newest signs; a new one is made when it is older than the rotation period, or on
//!   demand. An older key verifies until its successor is older than the longest token
//!   lifetime, then it is dropped: rotation never refuses a token already issued.

use chrono::{DateTime, Duration, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::org::new_id;
use crate::sealed::{self, Purpose};
use crate::sql::{Bind, Sql};
use crate::{Authenticated, StoreError, Tx, timestamp};

/// The prefix of every client id.
pub const CLIENT_ID_PREFIX: &str = "rc_client_";

/// The prefix of every client secret.
const SECRET_PREFIX: &str = "rc_csecret_";

/// No access token lives longer than this: a signing key whose successor is older can
/// verify no token still valid, and is dropped.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::hours(24);

/// An OAuth client, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClient {
    /// Its id (the admin API's `{id}`).
    pub id: String,
    /// The organization.
    pub org_id: String,
    /// What the admin called it.
    pub name: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl OAuthClient {
    /// Its `client_id`: `rc_client_<id>`.
    pub fn client_id(&self) -> String {
        format!("{CLIENT_ID_PREFIX}{}", self.id)
    }
}

/// A client just made, with its secret: the only time the secret is seen.
#[derive(Clone)]
pub struct NewOAuthClient {
    /// The client.
    pub client: OAuthClient,
    /// Its secret.
    pub secret: String,
}

impl std::fmt::Debug for NewOAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewOAuthClient")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

/// A key that signs an organization's access tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// Its id: the `kid` of the tokens it signs.
    pub id: String,
    /// The organization.
    pub org_id: String,
    /// The HS256 key.
    pub secret: [u8; 32],
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("id", &self.id)
            .field("org_id", &self.org_id)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

#[derive(QueryableByName)]
struct ClientRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    org_id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    name: Option<String>,
    #[diesel(sql_type = Text)]
    secret_hash: String,
    #[diesel(sql_type = Text)]
    created_at: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    revoked_at: Option<String>,
}

impl ClientRow {
    fn client(&self) -> Result<OAuthClient, StoreError> {
        Ok(OAuthClient {
            id: self.id.clone(),
            org_id: self.org_id.clone(),
            name: self.name.clone(),
            created_at: timestamp::from_db(&self.created_at)?,
            revoked_at: self
                .revoked_at
                .as_deref()
                .map(timestamp::from_db)
                .transpose()?,
        })
    }
}

#[derive(QueryableByName)]
struct ActiveRow {
    #[diesel(sql_type = Text)]
    org_id: String,
    #[diesel(sql_type = Text)]
    dialect: String,
    #[diesel(sql_type = BigInt)]
    schemas_version: i64,
}

#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    org_id: String,
    #[diesel(sql_type = Text)]
    secret: String,
    #[diesel(sql_type = Text)]
    created_at: String,
}

const CLIENT_COLUMNS: &str = "id, org_id, name, secret_hash, created_at, revoked_at";
const KEY_COLUMNS: &str = "id, org_id, secret, created_at";

fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl<'c> Tx<'c> {
    /// OAuth clients and the keys that sign their tokens.
    pub fn oauth(&mut self) -> OAuth<'_, 'c> {
        OAuth { tx: self }
    }
}

/// OAuth clients and signing keys, in a transaction ([`Tx::oauth`]).
#[derive(Debug)]
pub struct OAuth<'t, 'c> {
    tx: &'t mut Tx<'c>,
}

impl OAuth<'_, '_> {
    /// Register a client of the organization; its secret is in the answer only.
    pub fn create(
        &mut self,
        org_id: &str,
        name: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<NewOAuthClient, StoreError> {
        let mut random = [0_u8; 32];
        rand::rng().fill_bytes(&mut random);
        let secret = format!("{SECRET_PREFIX}{}", hex::encode(random));
        let client = OAuthClient {
            id: new_id(),
            org_id: org_id.to_owned(),
            name: name.map(str::to_owned),
            created_at: now,
            revoked_at: None,
        };
        let mut insert = Sql::new(self.tx.backend);
        insert.push(&format!(
            "INSERT INTO oauth_clients ({CLIENT_COLUMNS}) VALUES ("
        ));
        for (k, bind) in [
            Bind::Text(client.id.clone()),
            Bind::Text(client.org_id.clone()),
            Bind::OptionalText(client.name.clone()),
            Bind::Text(hash_secret(&secret)),
            Bind::Text(timestamp::to_db(now)),
            Bind::OptionalText(None),
        ]
        .into_iter()
        .enumerate()
        {
            insert.push(if k == 0 { "" } else { ", " }).push_bind(bind);
        }
        insert.push(")");
        insert.execute(self.tx.conn)?;
        Ok(NewOAuthClient { client, secret })
    }

    /// The organization's clients, oldest first, revoked ones included.
    pub fn list(&mut self, org_id: &str) -> Result<Vec<OAuthClient>, StoreError> {
        let mut select = Sql::new(self.tx.backend);
        select.push(&format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE org_id = "
        ));
        select
            .push_bind(Bind::Text(org_id.to_owned()))
            .push(" ORDER BY created_at, id");
        let rows: Vec<ClientRow> = select.load(self.tx.conn)?;
        rows.iter().map(ClientRow::client).collect()
    }

    /// Revoke a client of the organization: `false` when it has none by that id or it was
    /// revoked already.
    pub fn revoke(
        &mut self,
        org_id: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut update = Sql::new(self.tx.backend);
        update.push("UPDATE oauth_clients SET revoked_at = ");
        update.push_bind(Bind::Text(timestamp::to_db(now)));
        update
            .push(" WHERE org_id = ")
            .push_bind(Bind::Text(org_id.to_owned()));
        update
            .push(" AND id = ")
            .push_bind(Bind::Text(id.to_owned()));
        update.push(" AND revoked_at IS NULL");
        Ok(update.execute(self.tx.conn)? == 1)
    }

    /// The client `client_id` names, if any, and whether `secret` is its secret (compared
    /// in constant time) and it is not revoked: one read, which also names the
    /// organization whose trail records a failed authentication.
    pub fn authenticate(
        &mut self,
        client_id: &str,
        secret: &str,
    ) -> Result<Option<(OAuthClient, bool)>, StoreError> {
        let Some(id) = client_id.strip_prefix(CLIENT_ID_PREFIX) else {
            return Ok(None);
        };
        let mut select = Sql::new(self.tx.backend);
        select.cacheable().push(&format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE id = "
        ));
        select.push_bind(Bind::Text(id.to_owned()));
        let Some(row) = select.optional::<ClientRow>(self.tx.conn)? else {
            return Ok(None);
        };
        let matches: bool = hash_secret(secret)
            .as_bytes()
            .ct_eq(row.secret_hash.as_bytes())
            .into();
        let client = row.client()?;
        let valid = matches && client.revoked_at.is_none();
        Ok(Some((client, valid)))
    }

    /// The organization of client `id` of `org_id` with what a request needs of it, if the
    /// client is not revoked: what a token it was issued stands for now.
    pub fn active(&mut self, org_id: &str, id: &str) -> Result<Option<Authenticated>, StoreError> {
        let mut select = Sql::new(self.tx.backend);
        select.cacheable().push(
            "SELECT c.org_id AS org_id, o.dialect AS dialect, o.schemas_version AS \
             schemas_version FROM oauth_clients c JOIN orgs o ON o.id = c.org_id WHERE c.id = ",
        );
        select.push_bind(Bind::Text(id.to_owned()));
        select
            .push(" AND c.org_id = ")
            .push_bind(Bind::Text(org_id.to_owned()));
        select.push(" AND c.revoked_at IS NULL");
        Ok(select
            .optional::<ActiveRow>(self.tx.conn)?
            .map(|row| Authenticated {
                org_id: row.org_id,
                token_id: id.to_owned(),
                dialect: scim_core::Dialect::parse(&row.dialect).unwrap_or_default(),
                schemas_version: row.schemas_version,
            }))
    }

    /// The key that signs the organization's tokens now: the newest, or a new one when
    /// there is none or the newest is `rotate_after` old.
    pub fn signing_key(
        &mut self,
        org_id: &str,
        rotate_after: Duration,
        now: DateTime<Utc>,
    ) -> Result<SigningKey, StoreError> {
        let mut select = Sql::new(self.tx.backend);
        select.cacheable().push(&format!(
            "SELECT {KEY_COLUMNS} FROM oauth_signing_keys WHERE org_id = "
        ));
        select
            .push_bind(Bind::Text(org_id.to_owned()))
            .push(" ORDER BY created_at DESC, id DESC LIMIT 1");
        if let Some(row) = select.optional::<KeyRow>(self.tx.conn)? {
            let key = self.open_key(row)?;
            if now - key.created_at < rotate_after {
                return Ok(key);
            }
        }
        self.rotate(org_id, now)
    }

    /// Make a new signing key for the organization: it signs from now on, the older ones
    /// still verify. Keys whose successor is older than [`MAX_TOKEN_LIFETIME`] are dropped.
    pub fn rotate(&mut self, org_id: &str, now: DateTime<Utc>) -> Result<SigningKey, StoreError> {
        let mut secret = [0_u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let key = SigningKey {
            id: new_id(),
            org_id: org_id.to_owned(),
            secret,
            created_at: now,
        };
        let sealed = sealed::seal(
            self.tx.kek.as_deref(),
            Purpose::SigningKey,
            &key.id,
            &secret,
        )?;
        let mut insert = Sql::new(self.tx.backend);
        insert.push(&format!(
            "INSERT INTO oauth_signing_keys ({KEY_COLUMNS}) VALUES ("
        ));
        insert.push_bind(Bind::Text(key.id.clone())).push(", ");
        insert.push_bind(Bind::Text(key.org_id.clone())).push(", ");
        insert.push_bind(Bind::Text(sealed)).push(", ");
        insert
            .push_bind(Bind::Text(timestamp::to_db(now)))
            .push(")");
        insert.execute(self.tx.conn)?;
        let mut prune = Sql::new(self.tx.backend);
        prune.push("DELETE FROM oauth_signing_keys WHERE org_id = ");
        let org = prune.bind(Bind::Text(org_id.to_owned()));
        prune.push(&org).push(
            " AND created_at < (SELECT MAX(n.created_at) FROM oauth_signing_keys n WHERE \
             n.org_id = ",
        );
        prune.push(&org).push(" AND n.created_at < ");
        prune.push_bind(Bind::Text(timestamp::to_db(now - MAX_TOKEN_LIFETIME)));
        prune.push(")");
        prune.execute(self.tx.conn)?;
        Ok(key)
    }

    /// The signing key `id` names, of any organization, if it is kept.
    pub fn signing_key_by_id(&mut self, id: &str) -> Result<Option<SigningKey>, StoreError> {
        let mut select = Sql::new(self.tx.backend);
        select.cacheable().push(&format!(
            "SELECT {KEY_COLUMNS} FROM oauth_signing_keys WHERE id = "
        ));
        select.push_bind(Bind::Text(id.to_owned()));
        select
            .optional::<KeyRow>(self.tx.conn)?
            .map(|row| self.open_key(row))
            .transpose()
    }

    fn open_key(&self, row: KeyRow) -> Result<SigningKey, StoreError> {
        let secret = sealed::open(
            &row.secret,
            self.tx.kek.as_deref(),
            Purpose::SigningKey,
            &row.id,
        )?;
        Ok(SigningKey {
            secret: secret
                .try_into()
                .map_err(|_| StoreError::Database("a signing key is not 32 bytes".to_owned()))?,
            created_at: timestamp::from_db(&row.created_at)?,
            id: row.id,
            org_id: row.org_id,
        })
    }
}
