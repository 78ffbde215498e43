//! [`Call`]: one request being served, and what the pipeline learns while its handler
//! runs (instead of a web framework's request extensions): whether the handler asked for a
//! credential, who the credential stood for, and the error the transaction ended with.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use org_model::PasswordStorage;
use rollcall_store::Tx;
use scim_core::{Deviation, Dialect, ScimError};
use serde_json::Value;

use crate::actor::Actor;
use crate::api::Api;
use crate::app::App;
use crate::credential::Credential;
use crate::error::{Error, Failure};
use crate::limits;
use crate::password::{self, Prehashed};
use crate::provisioning::{Applied, Context};
use crate::request::Request;
use crate::session::{self, Outcome};
use crate::surface::body::{self, Limit};
use crate::transaction::Access;

/// One request being served.
#[derive(Debug)]
pub(crate) struct Call<'r> {
    pub(crate) app: &'r App,
    pub(crate) api: Api,
    pub(crate) request: &'r Request,
    pub(crate) request_id: String,
    /// Who the credential stood for, once a transaction resolved it.
    pub(crate) actor: Option<Actor>,
    /// The error the last transaction ended with (for the record of a failed write).
    pub(crate) failure: Option<Error>,
    /// The handler asked for a credential (whether the request had one or not).
    pub(crate) credential_demanded: bool,
    /// The deviations of the request itself (its path), judged by the organization's
    /// dialect once its credential is resolved, and counted when it succeeds.
    pub(crate) deviations: Vec<Deviation>,
    /// The passwords of the body, hashed before the write's transaction when the
    /// organization keeps argon2id hashes.
    prehashed: Arc<Prehashed>,
    /// The client's address (behind a trusted proxy, the one it forwarded for).
    pub(crate) client: Option<IpAddr>,
    /// Where the links of SCIM resources point, when not below this API's own mount (the
    /// admin API's read-only directory links to `/scim/v2`, where the resources live).
    pub(crate) links_base: Option<String>,
}

/// A request deviation in a strict organization: its endpoint does not exist there (404).
fn refuse_in_strict(context: &Context<'_>, deviations: &[Deviation]) -> Result<(), Error> {
    if deviations.is_empty() || context.actor.dialect == Dialect::Lenient {
        return Ok(());
    }
    Err(Error::from(ScimError::not_found(format!(
        "no such endpoint: {} (strict dialect)",
        deviations
            .iter()
            .map(|deviation| deviation.rule())
            .collect::<Vec<_>>()
            .join("; ")
    ))))
}

/// Every `X-Forwarded-For` of the request, as one list (`None` without any, or when one is
/// not text: nothing is believed then).
pub(crate) fn forwarded_for(request: &Request) -> Option<String> {
    let values: Option<Vec<&str>> = request
        .headers
        .get_all("x-forwarded-for")
        .map(|value| std::str::from_utf8(value).ok())
        .collect();
    values
        .filter(|values| !values.is_empty())
        .map(|values| values.join(","))
}

impl<'r> Call<'r> {
    pub(crate) fn new(app: &'r App, api: Api, request: &'r Request, request_id: String) -> Self {
        Call {
            app,
            api,
            request,
            request_id,
            actor: None,
            failure: None,
            credential_demanded: false,
            deviations: Vec::new(),
            prehashed: Arc::default(),
            client: limits::client_address(
                request.peer,
                || forwarded_for(request),
                &app.config.trusted_proxies,
            ),
            links_base: None,
        }
    }

    /// The time, as the application's clock tells it.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.app.now()
    }

    /// The request's credential (a 401 without a well-formed one). A request whose handler
    /// asked for one and failed before a transaction verified it has it verified by the
    /// pipeline.
    ///
    /// Before any database work, the credential's rate limit (and, for a credential not
    /// yet known valid, its address's budget of failed authentications) may refuse it
    /// with a 429.
    pub(crate) fn credential(&mut self) -> Result<Credential, Error> {
        self.credential_demanded = true;
        match Credential::read(&self.request.headers) {
            Ok(credential) => {
                let key = self.app.limits.key(&credential);
                self.app
                    .limits
                    .admit(key, self.client)
                    .map_err(Error::rate_limited)?;
                Ok(credential)
            }
            Err(unreadable) => {
                self.app.counters.refused_credential(unreadable.reason);
                Err(unreadable.error)
            }
        }
    }

    /// The request's JSON body within `limit`.
    pub(crate) fn json(&self, limit: Limit) -> Result<Value, Error> {
        body::json(self.request, &self.app.config, limit)
    }

    /// The absolute URL the links of SCIM resources start from: the API's mount point,
    /// unless the handler named another ([`Call::links_base`]).
    pub(crate) fn base_url(&self) -> &str {
        self.links_base.as_deref().unwrap_or(&self.request.base_url)
    }

    /// The request's path as the client sent it, mount point included (for messages).
    pub(crate) fn full_path(&self) -> String {
        let base = self.request.base_url.as_str();
        let mount = base
            .find("://")
            .and_then(|scheme| {
                base[scheme + 3..]
                    .find('/')
                    .map(|at| &base[scheme + 3 + at..])
            })
            .unwrap_or("");
        format!("{mount}{}", self.request.path)
    }

    /// Keep what a session learnt: the actor, and the error it ended with (a later success
    /// clears it).
    fn note<T>(&mut self, outcome: Outcome<T>) -> Result<T, Error> {
        if outcome.actor.is_some() {
            self.actor = outcome.actor;
        }
        self.failure = outcome.result.as_ref().err().cloned();
        outcome.result
    }

    /// Before a write whose `body` holds passwords: learn the organization's
    /// `password_storage` in a read transaction and, for `argon2id`, hash them now on the
    /// blocking pool, so that the write's transaction does not hold the writer meanwhile.
    pub(crate) async fn prehash_passwords(
        &mut self,
        credential: &Credential,
        body: &Value,
    ) -> Result<(), Error> {
        // A body can name far more "passwords" than any write sets (one per operation at
        // most): hashing them all would let one request spend minutes of CPU. Past the cap,
        // a password really set is hashed inside the write.
        let cap = usize::try_from(self.app.config.max_bulk_operations)
            .unwrap_or(usize::MAX)
            .max(16);
        let mut candidates = password::candidates(body);
        candidates.truncate(cap);
        if candidates.is_empty() {
            return Ok(());
        }
        let outcome = session::run(
            self.app,
            Api::Scim,
            Access::Read,
            credential,
            Some(self.request_id.clone()),
            |tx, actor| Ok(tx.orgs().settings(&actor.org_id)?.password_storage),
        )
        .await;
        if self.note(outcome)? == PasswordStorage::Argon2id {
            self.prehashed = Arc::new(Prehashed::hash_all(candidates).await?);
        }
        Ok(())
    }

    /// Run `f` in one transaction for the SCIM actor `credential` stands for.
    pub(crate) async fn scim<T, F>(
        &mut self,
        access: Access,
        credential: &Credential,
        mut f: F,
    ) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnMut(&mut Tx<'_>, &Context<'_>) -> Result<T, Failure> + Send + 'static,
    {
        let request_id = Some(self.request_id.clone());
        let deviations = self.deviations.clone();
        let outcome = session::scim(
            self.app,
            self.api,
            access,
            credential,
            request_id,
            Arc::clone(&self.prehashed),
            move |tx, context| {
                refuse_in_strict(context, &deviations)?;
                f(tx, context)
            },
        )
        .await;
        if outcome.result.is_ok() {
            self.app.counters.deviations(&self.deviations);
        }
        self.note(outcome)
    }

    /// Run the SCIM write `f` in one transaction for the actor `credential` stands for;
    /// the deviations it tolerated are counted once it committed.
    pub(crate) async fn scim_write<T, F>(
        &mut self,
        credential: &Credential,
        f: F,
    ) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnMut(&mut Tx<'_>, &Context<'_>) -> Result<Applied<T>, Failure> + Send + 'static,
    {
        self.scim_applied(Access::Write, credential, f).await
    }

    /// Run `f`, which answers what it tolerated, in one transaction of `access` for the
    /// SCIM actor `credential` stands for; the deviations are counted once it committed.
    pub(crate) async fn scim_applied<T, F>(
        &mut self,
        access: Access,
        credential: &Credential,
        mut f: F,
    ) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnMut(&mut Tx<'_>, &Context<'_>) -> Result<Applied<T>, Failure> + Send + 'static,
    {
        let request_id = Some(self.request_id.clone());
        let deviations = self.deviations.clone();
        let outcome = session::scim_applied(
            self.app,
            self.api,
            access,
            credential,
            request_id,
            Arc::clone(&self.prehashed),
            move |tx, context| {
                refuse_in_strict(context, &deviations)?;
                let mut applied = f(tx, context)?;
                applied.tolerated.extend(deviations.iter().cloned());
                Ok(applied)
            },
        )
        .await;
        self.note(outcome)
    }

    /// Run `f` in one transaction for the admin actor `credential` stands for.
    pub(crate) async fn admin<T, F>(
        &mut self,
        access: Access,
        credential: &Credential,
        f: F,
    ) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnMut(&mut Tx<'_>, &Actor) -> Result<T, Failure> + Send + 'static,
    {
        let request_id = Some(self.request_id.clone());
        let outcome = session::run(self.app, Api::Admin, access, credential, request_id, f).await;
        self.note(outcome)
    }
}
