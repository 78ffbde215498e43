//! [`Authenticator`]: how a kind of credential becomes an actor, and the chain of them the
//! application asks in turn.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rollcall_store::{StoreError, Tx};

use super::Credential;
use crate::actor::Actor;
use crate::api::Api;

/// Why a credential was refused before the transaction (counted and logged, never sent:
/// the client only learns that the credential is not valid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// A short, fixed reason, e.g. `expired`, `bad_signature`, `unknown`.
    pub reason: &'static str,
}

/// What [`Authenticator::verify`] made of a credential.
#[derive(Debug)]
pub enum Verification<V> {
    /// Not a credential of this kind: the next authenticator is asked.
    NotMine,
    /// Of this kind, and not valid (a bad signature, an expired token).
    Refused(Refusal),
    /// Valid as far as can be told without the database.
    Verified(V),
}

/// One kind of credential.
///
/// `verify` runs before the request's transaction: work that needs no database, or that
/// may wait on the network (a signature check, fetching a key set). `resolve` runs inside
/// the transaction and decides what must be current: whether the credential is still
/// registered, unexpired and unrevoked, and for which organization. Only `resolve` may
/// read the database, and it must not wait on the network.
pub trait Authenticator: Send + Sync + 'static {
    /// What `verify` hands to `resolve`.
    type Verified: Send + Sync + 'static;

    /// Verify `credential`, presented to `api`, without the database.
    fn verify(
        &self,
        credential: &Credential,
        api: Api,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Verification<Self::Verified>> + Send;

    /// Inside the request's transaction: the actor `verified` stands for, or `None` when
    /// it is not (or no longer) valid for `api`. The actor's `request_id` is filled in by
    /// the caller.
    fn resolve(
        &self,
        tx: &mut Tx<'_>,
        verified: &Self::Verified,
        api: Api,
        now: DateTime<Utc>,
    ) -> Result<Option<Actor>, StoreError>;
}

type Erased = Box<dyn Any + Send + Sync>;
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// [`Authenticator`] with its `Verified` type erased, so different kinds share one chain.
trait DynAuthenticator: Send + Sync {
    fn verify<'a>(
        &'a self,
        credential: &'a Credential,
        api: Api,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Verification<Erased>>;

    fn resolve(
        &self,
        tx: &mut Tx<'_>,
        verified: &Erased,
        api: Api,
        now: DateTime<Utc>,
    ) -> Result<Option<Actor>, StoreError>;
}

impl<A: Authenticator> DynAuthenticator for A {
    fn verify<'a>(
        &'a self,
        credential: &'a Credential,
        api: Api,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Verification<Erased>> {
        Box::pin(async move {
            match Authenticator::verify(self, credential, api, now).await {
                Verification::NotMine => Verification::NotMine,
                Verification::Refused(refusal) => Verification::Refused(refusal),
                Verification::Verified(verified) => {
                    Verification::Verified(Box::new(verified) as Erased)
                }
            }
        })
    }

    fn resolve(
        &self,
        tx: &mut Tx<'_>,
        verified: &Erased,
        api: Api,
        now: DateTime<Utc>,
    ) -> Result<Option<Actor>, StoreError> {
        match verified.downcast_ref::<A::Verified>() {
            Some(verified) => Authenticator::resolve(self, tx, verified, api, now),
            None => Ok(None),
        }
    }
}

/// The authenticators of an application, asked in order.
#[derive(Clone)]
pub(crate) struct Authenticators(Vec<Arc<dyn DynAuthenticator>>);

impl std::fmt::Debug for Authenticators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Authenticators({})", self.0.len())
    }
}

impl Authenticators {
    /// A chain of one.
    pub(crate) fn new(first: impl Authenticator) -> Authenticators {
        Authenticators(vec![Arc::new(first)])
    }

    /// The chain with `next` asked after the others.
    pub(crate) fn push(&mut self, next: impl Authenticator) {
        self.0.push(Arc::new(next));
    }

    /// Verify `credential`: the first authenticator that claims it decides.
    pub(crate) async fn verify(
        &self,
        credential: &Credential,
        api: Api,
        now: DateTime<Utc>,
    ) -> Result<VerifiedCredential, Refusal> {
        for authenticator in &self.0 {
            match authenticator.verify(credential, api, now).await {
                Verification::NotMine => continue,
                Verification::Refused(refusal) => return Err(refusal),
                Verification::Verified(verified) => {
                    return Ok(VerifiedCredential {
                        authenticator: Arc::clone(authenticator),
                        verified,
                    });
                }
            }
        }
        Err(Refusal { reason: "unknown" })
    }
}

/// A credential verified before the transaction, to be resolved inside it.
pub(crate) struct VerifiedCredential {
    authenticator: Arc<dyn DynAuthenticator>,
    verified: Erased,
}

impl std::fmt::Debug for VerifiedCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerifiedCredential(<redacted>)")
    }
}

impl VerifiedCredential {
    /// The actor, inside the request's transaction; `None` when the credential is not (or
    /// no longer) valid for `api`.
    pub(crate) fn resolve(
        &self,
        tx: &mut Tx<'_>,
        api: Api,
        now: DateTime<Utc>,
    ) -> Result<Option<Actor>, StoreError> {
        self.authenticator.resolve(tx, &self.verified, api, now)
    }
}
