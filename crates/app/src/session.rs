//! Running work for the actor a credential stands for: the credential verified before the
//! transaction (no database), then, in one transaction, resolved to an [`Actor`] and the
//! work done for it. One SCIM request is one transaction, authentication included, so a
//! revoked credential is refused on its next request.
//!
//! A SCIM write's closure (and a list's) answers [`Applied`]: once its transaction committed, the
//! deviations it tolerated are counted here, once. A refused credential is counted here
//! too.

use std::sync::{Arc, Mutex, PoisonError};

use rollcall_store::{StoreError, Tx};

use crate::actor::Actor;
use crate::api::Api;
use crate::app::App;
use crate::credential::{Credential, invalid};
use crate::error::{Error, Failure};
use crate::limits::Rate;
use crate::password::Prehashed;
use crate::provisioning::{Applied, Context};
use crate::transaction::Access;

/// The counters' reason for a credential no authenticator found valid (unknown, expired,
/// revoked, or of the wrong kind: the store does not say which, nor does the client learn).
const NOT_VALID: &str = "not_valid";

/// What running work for a credential came to: who it stood for, when that was found
/// (also when the work failed), and the work's result.
#[derive(Debug)]
pub(crate) struct Outcome<T> {
    /// The actor, once resolved.
    pub(crate) actor: Option<Actor>,
    /// The work's value, or why it failed (a 401 when the credential is not valid).
    pub(crate) result: Result<T, Error>,
}

/// Verify `credential` for `api`, then run `f` for its actor in one transaction.
pub(crate) async fn run<T, F>(
    app: &App,
    api: Api,
    access: Access,
    credential: &Credential,
    request_id: Option<String>,
    mut f: F,
) -> Outcome<T>
where
    T: Send + 'static,
    F: FnMut(&mut Tx<'_>, &Actor) -> Result<T, Failure> + Send + 'static,
{
    let now = app.now();
    let key = app.limits.key(credential);
    let learn_rate = app.limits.needs_rate(key);
    let verified = match app.authenticators.verify(credential, api, now).await {
        Ok(verified) => verified,
        Err(refusal) => {
            tracing::debug!(
                reason = refusal.reason,
                "credential refused before the transaction"
            );
            app.counters.refused_credential(refusal.reason);
            return Outcome {
                actor: None,
                result: Err(invalid(api)),
            };
        }
    };
    // Who the actor was, also when the transaction fails and rolls back.
    let seen: Arc<Mutex<Option<Actor>>> = Arc::default();
    let seen_inside = Arc::clone(&seen);
    // The organization's rate, read when the limits need it (first sighting, or stale).
    let rate: Arc<Mutex<Option<Rate>>> = Arc::default();
    let rate_inside = Arc::clone(&rate);
    let outcome = app
        .database
        .run(access, move |tx| {
            let Some(mut actor) = verified.resolve(tx, api, now)? else {
                return Ok(Err(()));
            };
            actor.request_id = request_id.clone();
            *seen_inside.lock().unwrap_or_else(PoisonError::into_inner) = Some(actor.clone());
            if (api, access) == (Api::Admin, Access::Write) {
                // Admin writes check rules across rows (an active Owner kept, group grants
                // against team access, settings against the data): one at a time per
                // organization, each reading what the one before committed.
                tx.orgs().lock_rules(&actor.org_id)?;
            }
            if learn_rate {
                let settings = tx.orgs().settings(&actor.org_id)?;
                *rate_inside.lock().unwrap_or_else(PoisonError::into_inner) = Some(Rate {
                    per_second: settings.rate_limit_per_second,
                    burst: settings.rate_limit_burst,
                });
            }
            match f(tx, &actor) {
                Ok(value) => Ok(Ok(Ok(value))),
                Err(Failure::Refused(error)) => Ok(Ok(Err(error))),
                Err(failure) => Err(failure),
            }
        })
        .await;
    let actor = seen.lock().unwrap_or_else(PoisonError::into_inner).take();
    if let (Some(rate), Some(actor)) = (
        rate.lock().unwrap_or_else(PoisonError::into_inner).take(),
        &actor,
    ) {
        app.limits.learn(key, actor, rate);
    }
    let result = match outcome {
        Ok(Ok(result)) => result,
        Ok(Err(())) => {
            app.counters.refused_credential(NOT_VALID);
            Err(invalid(api))
        }
        Err(error) => Err(error),
    };
    Outcome { actor, result }
}

/// [`run`] for SCIM work: `f` gets the actor with its organization's schemas, the time
/// and the request's passwords hashed beforehand. `api` is the API whose credential the
/// work takes: the SCIM API's, or the admin API's for its read-only views of the directory
/// (`/admin/v1/users`, `/admin/v1/groups`).
pub(crate) async fn scim<T, F>(
    app: &App,
    api: Api,
    access: Access,
    credential: &Credential,
    request_id: Option<String>,
    prehashed: Arc<Prehashed>,
    mut f: F,
) -> Outcome<T>
where
    T: Send + 'static,
    F: FnMut(&mut Tx<'_>, &Context<'_>) -> Result<T, Failure> + Send + 'static,
{
    let (org_schemas, standard) = (Arc::clone(&app.org_schemas), Arc::clone(&app.standard));
    let now = app.now();
    run(
        app,
        api,
        access,
        credential,
        request_id,
        move |tx, actor| {
            let schemas = org_schemas.get(&standard, tx, actor)?;
            let context = Context {
                actor,
                schemas: &schemas,
                now,
                prehashed: &prehashed,
            };
            f(tx, &context)
        },
    )
    .await
}

/// [`scim`] for work that answers what it tolerated (every write; a list whose filter
/// relied on a dialect form): once it committed, the deviations are counted.
pub(crate) async fn scim_applied<T, F>(
    app: &App,
    api: Api,
    access: Access,
    credential: &Credential,
    request_id: Option<String>,
    prehashed: Arc<Prehashed>,
    f: F,
) -> Outcome<T>
where
    T: Send + 'static,
    F: FnMut(&mut Tx<'_>, &Context<'_>) -> Result<Applied<T>, Failure> + Send + 'static,
{
    let outcome = scim(app, api, access, credential, request_id, prehashed, f).await;
    let result = outcome.result.map(|applied| {
        app.counters.deviations(&applied.tolerated);
        applied.value
    });
    Outcome {
        actor: outcome.actor,
        result,
    }
}

/// Verify `credential` for `api` in a transaction of its own: its actor, or `None` when it
/// is not valid. With a valid one, `then` runs in the same transaction (the record of a
/// request that failed before its credential was looked at).
pub(crate) async fn verify<F>(
    app: &App,
    api: Api,
    credential: &Credential,
    request_id: Option<String>,
    mut then: Option<F>,
) -> Result<Option<Actor>, Error>
where
    F: FnMut(&mut Tx<'_>, &Actor) -> Result<(), StoreError> + Send + 'static,
{
    let access = if then.is_some() {
        Access::Write
    } else {
        Access::Read
    };
    let outcome = run(
        app,
        api,
        access,
        credential,
        request_id,
        move |tx, actor| {
            if let Some(then) = then.as_mut() {
                then(tx, actor)?;
            }
            Ok(())
        },
    )
    .await;
    match outcome.result {
        Ok(()) => Ok(outcome.actor),
        Err(error) if error.status() == 401 => Ok(None),
        Err(error) => Err(error),
    }
}
