//! API tokens: `rc_scim_<id>_<64 hex>` / `rc_admin_<id>_<64 hex>`. Only the SHA-256 of the
//! secret is stored; authentication parses the id out of the secret, loads that one row and
//! compares the hashes in constant time. Secrets are never logged.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::org::new_id;
use crate::schema::{orgs, tokens};
use crate::sql::{Bind, Sql};
use crate::{Authenticated, NewToken, StoreError, TokenInfo, TokenKind, Tx, timestamp};

impl TokenKind {
    /// The stored name and secret prefix part: `scim` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Scim => "scim",
            TokenKind::Admin => "admin",
        }
    }

    fn parse(text: &str) -> Option<TokenKind> {
        match text {
            "scim" => Some(TokenKind::Scim),
            "admin" => Some(TokenKind::Admin),
            _ => None,
        }
    }

    /// The prefix every secret of this kind starts with, e.g. `rc_scim_`.
    pub fn secret_prefix(self) -> &'static str {
        match self {
            TokenKind::Scim => "rc_scim_",
            TokenKind::Admin => "rc_admin_",
        }
    }
}

#[derive(Queryable, Selectable, Insertable, QueryableByName)]
#[diesel(table_name = tokens)]
struct TokenRow {
    id: String,
    org_id: String,
    kind: String,
    name: Option<String>,
    secret_hash: String,
    created_at: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
}

/// A token with its organization's dialect, as authentication reads it.
#[derive(QueryableByName)]
struct AuthRow {
    #[diesel(embed)]
    token: TokenRow,
    #[diesel(sql_type = diesel::sql_types::Text)]
    dialect: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    schemas_version: i64,
}

impl TokenRow {
    fn info(&self) -> Result<TokenInfo, StoreError> {
        let optional = |text: &Option<String>| text.as_deref().map(timestamp::from_db).transpose();
        Ok(TokenInfo {
            id: self.id.clone(),
            org_id: self.org_id.clone(),
            kind: TokenKind::parse(&self.kind)
                .ok_or_else(|| StoreError::Database(format!("bad token kind {:?}", self.kind)))?,
            name: self.name.clone(),
            created_at: timestamp::from_db(&self.created_at)?,
            expires_at: optional(&self.expires_at)?,
            revoked_at: optional(&self.revoked_at)?,
        })
    }
}

fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The token id in a secret of `kind`, if the secret has that shape.
fn token_id_of(secret: &str, kind: TokenKind) -> Option<&str> {
    let rest = secret.strip_prefix(kind.secret_prefix())?;
    let (id, random) = rest.rsplit_once('_')?;
    let well_formed =
        !id.is_empty() && random.len() == 64 && random.bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then_some(id)
}

impl<'c> Tx<'c> {
    /// The API tokens: create, list, revoke, authenticate.
    pub fn tokens(&mut self) -> Tokens<'_, 'c> {
        Tokens { tx: self }
    }
}

/// The API tokens, in a transaction ([`Tx::tokens`]).
#[derive(Debug)]
pub struct Tokens<'t, 'c> {
    tx: &'t mut Tx<'c>,
}

impl Tokens<'_, '_> {
    /// Create a token; its secret is returned once and stored as a SHA-256 hash.
    /// [`StoreError::NotFound`] for an unknown org.
    pub fn create(
        &mut self,
        org_id: &str,
        kind: TokenKind,
        name: Option<&str>,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<NewToken, StoreError> {
        let org_exists = orgs::table
            .find(org_id)
            .select(orgs::id)
            .first::<String>(self.tx.conn)
            .optional()?
            .is_some();
        if !org_exists {
            return Err(StoreError::NotFound);
        }
        let id = new_id();
        let mut random = [0u8; 32];
        rand::rng().fill_bytes(&mut random);
        let secret = format!("{}{id}_{}", kind.secret_prefix(), hex::encode(random));
        let row = TokenRow {
            id,
            org_id: org_id.to_owned(),
            kind: kind.as_str().to_owned(),
            name: name.map(str::to_owned),
            secret_hash: hash_secret(&secret),
            created_at: timestamp::to_db(now),
            expires_at: expires_at.map(timestamp::to_db),
            revoked_at: None,
        };
        diesel::insert_into(tokens::table)
            .values(&row)
            .execute(self.tx.conn)?;
        Ok(NewToken {
            info: row.info()?,
            secret,
        })
    }

    /// An organization's tokens (of one kind, or all), oldest first.
    pub fn list(
        &mut self,
        org_id: &str,
        kind: Option<TokenKind>,
    ) -> Result<Vec<TokenInfo>, StoreError> {
        let mut query = tokens::table
            .filter(tokens::org_id.eq(org_id))
            .order((tokens::created_at, tokens::id))
            .select(TokenRow::as_select())
            .into_boxed();
        if let Some(kind) = kind {
            query = query.filter(tokens::kind.eq(kind.as_str()));
        }
        query
            .load(self.tx.conn)?
            .iter()
            .map(TokenRow::info)
            .collect()
    }

    /// Revoke a token; false when the org has no such token. Revoking twice keeps the
    /// first revocation time (and answers true).
    pub fn revoke(
        &mut self,
        org_id: &str,
        token_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let target = tokens::table
            .filter(tokens::org_id.eq(org_id))
            .filter(tokens::id.eq(token_id));
        let exists = target
            .select(tokens::id)
            .first::<String>(self.tx.conn)
            .optional()?
            .is_some();
        if exists {
            diesel::update(target.filter(tokens::revoked_at.is_null()))
                .set(tokens::revoked_at.eq(timestamp::to_db(now)))
                .execute(self.tx.conn)?;
        }
        Ok(exists)
    }

    /// The organization of a valid (known, of this kind, unexpired, unrevoked) token
    /// secret, compared in constant time.
    pub fn authenticate(
        &mut self,
        secret: &str,
        kind: TokenKind,
        now: DateTime<Utc>,
    ) -> Result<Option<Authenticated>, StoreError> {
        let Some(token_id) = token_id_of(secret, kind) else {
            return Ok(None);
        };
        // Raw SQL rather than the query builder: every request runs this, and the cache key
        // of a cacheable raw statement is cheap to make (no identifier quoting per column).
        let mut sql = Sql::new(self.tx.backend);
        sql.cacheable();
        let id = sql.bind(Bind::Text(token_id.to_owned()));
        sql.push(&format!(
            "SELECT t.id AS id, t.org_id AS org_id, t.kind AS kind, t.name AS name, \
             t.secret_hash AS secret_hash, t.created_at AS created_at, \
             t.expires_at AS expires_at, t.revoked_at AS revoked_at, o.dialect AS dialect, \
             o.schemas_version AS schemas_version \
             FROM tokens t JOIN orgs o ON o.id = t.org_id WHERE t.id = {id}"
        ));
        let Some(AuthRow {
            token: row,
            dialect,
            schemas_version,
        }) = sql.optional::<AuthRow>(self.tx.conn)?
        else {
            return Ok(None);
        };
        let hash_matches: bool = hash_secret(secret)
            .as_bytes()
            .ct_eq(row.secret_hash.as_bytes())
            .into();
        let info = row.info()?;
        let usable = hash_matches
            && info.kind == kind
            && info.revoked_at.is_none()
            && info.expires_at.is_none_or(|expires_at| now < expires_at);
        Ok(usable.then(|| Authenticated {
            org_id: info.org_id,
            token_id: info.id,
            dialect: scim_core::Dialect::parse(&dialect).unwrap_or_default(),
            schemas_version,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_ids_are_parsed_from_well_formed_secrets_only() {
        let random = "ab".repeat(32);
        let secret = format!("rc_scim_0190-id_{random}");
        assert_eq!(token_id_of(&secret, TokenKind::Scim), Some("0190-id"));
        assert_eq!(token_id_of(&secret, TokenKind::Admin), None);
        assert_eq!(token_id_of("rc_scim_x_abc", TokenKind::Scim), None);
        assert_eq!(
            token_id_of(&format!("rc_scim__{random}"), TokenKind::Scim),
            None
        );
        assert_eq!(token_id_of("Bearer nonsense", TokenKind::Scim), None);
    }
}
