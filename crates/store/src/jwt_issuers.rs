//! JWT issuers organizations trust (PRODUCT.md §1). A registration is keyed by issuer,
//! audience and required claims; a token must match exactly one registration in the
//! installation. So a registration that could match a token another one matches (same
//! issuer and audience, no required claim with different values in both) is refused:
//! [`StoreError::Conflict`], whichever organization holds the other. Only the operator
//! frees a key another organization holds ([`JwtIssuers::delete_any`]).

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde_json::{Map, Value};

use crate::org::new_id;
use crate::sealed::{self, Purpose};
use crate::sql::{Bind, Sql};
use crate::{Authenticated, Backend, StoreError, Tx, timestamp};

/// A registered issuer. Its shared secret is here for verifying; the admin API never
/// shows it.
#[derive(Clone, PartialEq)]
pub struct JwtIssuer {
    /// Its id: the actor of the writes its tokens make.
    pub id: String,
    /// The organization its tokens act for.
    pub org_id: String,
    /// The `iss` its tokens carry.
    pub issuer: String,
    /// The `aud` its tokens carry.
    pub audience: String,
    /// Claims its tokens must carry with exactly these values (Entra's `tid`, `oid`, …).
    pub required_claims: Map<String, Value>,
    /// The algorithms accepted (`HS256`, `RS256`, `ES256`, `EdDSA`).
    pub algorithms: Vec<String>,
    /// Where its keys are published.
    pub jwks_url: Option<String>,
    /// Its public key.
    pub public_key_pem: Option<String>,
    /// The HS256 key.
    pub shared_secret: Option<Vec<u8>>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for JwtIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtIssuer")
            .field("id", &self.id)
            .field("org_id", &self.org_id)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("required_claims", &self.required_claims)
            .field("algorithms", &self.algorithms)
            .field("jwks_url", &self.jwks_url)
            .finish_non_exhaustive()
    }
}

impl JwtIssuer {
    /// Whether a token matching this registration could match `other` too.
    pub fn overlaps(&self, other: &JwtIssuer) -> bool {
        self.issuer == other.issuer
            && self.audience == other.audience
            && self.required_claims.iter().all(|(name, value)| {
                other
                    .required_claims
                    .get(name)
                    .is_none_or(|theirs| theirs == value)
            })
    }
}

/// A registration to make (validated by the caller).
#[derive(Clone, PartialEq)]
pub struct NewJwtIssuer {
    /// `iss`.
    pub issuer: String,
    /// `aud`.
    pub audience: String,
    /// Claims required with these values.
    pub required_claims: Map<String, Value>,
    /// Algorithms accepted.
    pub algorithms: Vec<String>,
    /// A JWKS URL.
    pub jwks_url: Option<String>,
    /// A PEM public key.
    pub public_key_pem: Option<String>,
    /// An HS256 key.
    pub shared_secret: Option<Vec<u8>>,
}

impl std::fmt::Debug for NewJwtIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewJwtIssuer")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

#[derive(QueryableByName)]
struct IssuerRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    org_id: String,
    #[diesel(sql_type = Text)]
    issuer: String,
    #[diesel(sql_type = Text)]
    audience: String,
    #[diesel(sql_type = Text)]
    required_claims: String,
    #[diesel(sql_type = Text)]
    algorithms: String,
    #[diesel(sql_type = Nullable<Text>)]
    jwks_url: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    public_key_pem: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    shared_secret: Option<String>,
    #[diesel(sql_type = Text)]
    created_at: String,
}

#[derive(QueryableByName)]
struct ActiveRow {
    #[diesel(sql_type = Text)]
    dialect: String,
    #[diesel(sql_type = BigInt)]
    schemas_version: i64,
}

const COLUMNS: &str = "id, org_id, issuer, audience, required_claims, algorithms, jwks_url, \
                       public_key_pem, shared_secret, created_at";

impl<'c> Tx<'c> {
    /// The JWT issuers organizations trust.
    pub fn jwt_issuers(&mut self) -> JwtIssuers<'_, 'c> {
        JwtIssuers { tx: self }
    }
}

/// The trusted JWT issuers, in a transaction ([`Tx::jwt_issuers`]).
#[derive(Debug)]
pub struct JwtIssuers<'t, 'c> {
    tx: &'t mut Tx<'c>,
}

impl JwtIssuers<'_, '_> {
    /// Register an issuer for the organization. [`StoreError::Conflict`] when a token it
    /// would accept could match a registration already made, of this organization or
    /// another (the message says which, never the other organization's id).
    pub fn create(
        &mut self,
        org_id: &str,
        new: NewJwtIssuer,
        now: DateTime<Utc>,
    ) -> Result<JwtIssuer, StoreError> {
        if self.tx.backend == Backend::Postgres {
            // Two registrations made at once must see each other.
            let mut lock = Sql::new(self.tx.backend);
            lock.push("LOCK TABLE jwt_issuers IN SHARE ROW EXCLUSIVE MODE");
            lock.execute(self.tx.conn)?;
        }
        let issuer = JwtIssuer {
            id: new_id(),
            org_id: org_id.to_owned(),
            issuer: new.issuer,
            audience: new.audience,
            required_claims: new.required_claims,
            algorithms: new.algorithms,
            jwks_url: new.jwks_url,
            public_key_pem: new.public_key_pem,
            shared_secret: new.shared_secret,
            created_at: now,
        };
        let mut same_key = Sql::new(self.tx.backend);
        same_key.push(&format!(
            "SELECT {COLUMNS} FROM jwt_issuers WHERE issuer = "
        ));
        same_key.push_bind(Bind::Text(issuer.issuer.clone()));
        same_key
            .push(" AND audience = ")
            .push_bind(Bind::Text(issuer.audience.clone()));
        let rows: Vec<IssuerRow> = same_key.load(self.tx.conn)?;
        for row in rows {
            let other = self.issuer(row)?;
            if issuer.overlaps(&other) || other.overlaps(&issuer) {
                return Err(StoreError::Conflict(if other.org_id == org_id {
                    format!(
                        "tokens of this issuer and audience could also match registration {}; \
                         add a required claim that tells them apart, or delete it",
                        other.id
                    )
                } else {
                    "another organization has registered this issuer and audience for \
                     tokens like these; only the operator can free it"
                        .to_owned()
                }));
            }
        }
        let secret = issuer
            .shared_secret
            .as_deref()
            .map(|secret| {
                sealed::seal(
                    self.tx.kek.as_deref(),
                    Purpose::IssuerSecret,
                    &issuer.id,
                    secret,
                )
            })
            .transpose()?;
        let mut insert = Sql::new(self.tx.backend);
        insert.push(&format!("INSERT INTO jwt_issuers ({COLUMNS}) VALUES ("));
        for (k, bind) in [
            Bind::Text(issuer.id.clone()),
            Bind::Text(issuer.org_id.clone()),
            Bind::Text(issuer.issuer.clone()),
            Bind::Text(issuer.audience.clone()),
            Bind::Text(serde_json::to_string(&issuer.required_claims)?),
            Bind::Text(serde_json::to_string(&issuer.algorithms)?),
            Bind::OptionalText(issuer.jwks_url.clone()),
            Bind::OptionalText(issuer.public_key_pem.clone()),
            Bind::OptionalText(secret),
            Bind::Text(timestamp::to_db(now)),
        ]
        .into_iter()
        .enumerate()
        {
            insert.push(if k == 0 { "" } else { ", " }).push_bind(bind);
        }
        insert.push(")");
        insert.execute(self.tx.conn)?;
        Ok(issuer)
    }

    /// The organization's registrations, oldest first.
    pub fn list(&mut self, org_id: &str) -> Result<Vec<JwtIssuer>, StoreError> {
        let mut select = Sql::new(self.tx.backend);
        select.push(&format!(
            "SELECT {COLUMNS} FROM jwt_issuers WHERE org_id = "
        ));
        select
            .push_bind(Bind::Text(org_id.to_owned()))
            .push(" ORDER BY created_at, id");
        self.load(select)
    }

    /// Every organization's registrations (what tokens are matched against).
    pub fn list_all(&mut self) -> Result<Vec<JwtIssuer>, StoreError> {
        let mut select = Sql::new(self.tx.backend);
        select.push(&format!(
            "SELECT {COLUMNS} FROM jwt_issuers ORDER BY created_at, id"
        ));
        self.load(select)
    }

    /// Delete a registration of the organization; another organization's is
    /// [`StoreError::NotFound`].
    pub fn delete(&mut self, org_id: &str, id: &str) -> Result<(), StoreError> {
        self.delete_where(Some(org_id), id)
    }

    /// Delete a registration of any organization: the operator's way to free a key.
    pub fn delete_any(&mut self, id: &str) -> Result<(), StoreError> {
        self.delete_where(None, id)
    }

    /// What registration `id` of `org_id` stands for now, if it is still registered.
    pub fn active(&mut self, org_id: &str, id: &str) -> Result<Option<Authenticated>, StoreError> {
        let mut select = Sql::new(self.tx.backend);
        select.cacheable().push(
            "SELECT o.dialect AS dialect, o.schemas_version AS schemas_version FROM jwt_issuers \
             j JOIN orgs o ON o.id = j.org_id WHERE j.id = ",
        );
        select.push_bind(Bind::Text(id.to_owned()));
        select
            .push(" AND j.org_id = ")
            .push_bind(Bind::Text(org_id.to_owned()));
        Ok(select
            .optional::<ActiveRow>(self.tx.conn)?
            .map(|row| Authenticated {
                org_id: org_id.to_owned(),
                token_id: id.to_owned(),
                dialect: scim_core::Dialect::parse(&row.dialect).unwrap_or_default(),
                schemas_version: row.schemas_version,
            }))
    }

    fn delete_where(&mut self, org_id: Option<&str>, id: &str) -> Result<(), StoreError> {
        let mut delete = Sql::new(self.tx.backend);
        delete
            .push("DELETE FROM jwt_issuers WHERE id = ")
            .push_bind(Bind::Text(id.to_owned()));
        if let Some(org_id) = org_id {
            delete
                .push(" AND org_id = ")
                .push_bind(Bind::Text(org_id.to_owned()));
        }
        if delete.execute(self.tx.conn)? == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    fn load(&mut self, select: Sql) -> Result<Vec<JwtIssuer>, StoreError> {
        let rows: Vec<IssuerRow> = select.load(self.tx.conn)?;
        rows.into_iter().map(|row| self.issuer(row)).collect()
    }

    fn issuer(&self, row: IssuerRow) -> Result<JwtIssuer, StoreError> {
        let shared_secret = row
            .shared_secret
            .as_deref()
            .map(|stored| {
                sealed::open(
                    stored,
                    self.tx.kek.as_deref(),
                    Purpose::IssuerSecret,
                    &row.id,
                )
            })
            .transpose()?;
        Ok(JwtIssuer {
            required_claims: serde_json::from_str(&row.required_claims)?,
            algorithms: serde_json::from_str(&row.algorithms)?,
            created_at: timestamp::from_db(&row.created_at)?,
            id: row.id,
            org_id: row.org_id,
            issuer: row.issuer,
            audience: row.audience,
            jwks_url: row.jwks_url,
            public_key_pem: row.public_key_pem,
            shared_secret,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn registration(org: &str, claims: Value) -> JwtIssuer {
        JwtIssuer {
            id: "r".into(),
            org_id: org.into(),
            issuer: "https://sts.windows.net/t/".into(),
            audience: "8adf8e6e-67b2-4cf2-a259-e3dc5476c621".into(),
            required_claims: claims.as_object().cloned().unwrap_or_default(),
            algorithms: vec!["RS256".into()],
            jwks_url: None,
            public_key_pem: None,
            shared_secret: None,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn registrations_overlap_unless_a_required_claim_tells_them_apart() {
        let cases = [
            (json!({}), json!({}), true),
            (json!({"tid": "a"}), json!({}), true),
            (json!({"tid": "a"}), json!({"tid": "a"}), true),
            (json!({"tid": "a"}), json!({"tid": "b"}), false),
            (json!({"tid": "a", "appid": "x"}), json!({"tid": "a"}), true),
            (
                json!({"tid": "a", "appid": "x"}),
                json!({"tid": "a", "appid": "y"}),
                false,
            ),
            (json!({"appid": "x"}), json!({"tid": "a"}), true),
        ];
        for (one, other, overlap) in cases {
            let (one, other) = (registration("o1", one), registration("o2", other));
            assert_eq!(one.overlaps(&other), overlap, "{one:?} {other:?}");
            assert_eq!(other.overlaps(&one), overlap, "{other:?} {one:?}");
        }
        let mut elsewhere = registration("o2", json!({}));
        elsewhere.audience = "another".into();
        assert!(!registration("o1", json!({})).overlaps(&elsewhere));
    }
}
