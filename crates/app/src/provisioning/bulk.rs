//! A bulk request's operations (RFC 7644 §3.7), run in one transaction with one
//! authentication: each in its own savepoint (`Tx::savepoint`) through the same writes as
//! the single-resource requests, so a failing operation undoes only its own changes and the
//! others stay applied. A POST's `bulkId` is then known by its new id, and later operations
//! referring to `bulkId:x` get it. After `failOnErrors` failures the remaining operations
//! are neither run nor reported. Each failed operation leaves its own audit record (its
//! operation, target, status, error, and `bulk`: its `bulkId`, method and path), written in
//! the request's transaction after its savepoint was rolled back.
//!
//! The outcome lists the operations that ran, in request order: `method`, `bulkId`,
//! `location` (not for a failed POST), `version` (of a success that leaves a resource),
//! `status` as a string (`"201"`, as the RFC's examples have it) and, for a failure,
//! `response` with the SCIM error body. A database failure (not a protocol error of one
//! operation) rolls the whole request back.

use std::collections::HashMap;

use rollcall_store::{ResourceKind, StoreError, Tx};
use scim_core::bulk::{BulkMethod, BulkOperation, BulkRequest, Endpoint, ResolvedOperation, Step};
use scim_core::{Deviation, DialectContext, ScimError, urn};
use serde_json::{Map, Value, json};

use super::preconditions::Preconditions;
use super::{ATTEMPTS, Applied, Context, load_for_write};
use crate::api::Api;
use crate::error::{Error, Failure};
use crate::trail;

/// The BulkResponse of the operations that ran.
#[derive(Debug)]
pub(crate) struct BulkOutcome(Vec<OperationResult>);

impl BulkOutcome {
    /// The BulkResponse body.
    pub(crate) fn to_json(&self) -> Value {
        let operations: Vec<Value> = self.0.iter().map(OperationResult::to_json).collect();
        json!({"schemas": [urn::BULK_RESPONSE], "Operations": operations})
    }
}

/// Run the planned `steps` of `bulk` until `failOnErrors` failures; `location` of each
/// resource is `location(kind, id)`. An `Err` is a database failure that ends the whole
/// request (rolled back).
pub(crate) fn run_bulk(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    bulk: &BulkRequest,
    steps: Vec<Step>,
    location: &dyn Fn(ResourceKind, &str) -> String,
) -> Result<Applied<BulkOutcome>, Failure> {
    let mut applied = Applied {
        value: (),
        tolerated: Vec::new(),
        access: Vec::new(),
    };
    // A method or an endpoint in another case: the whole request is the strict
    // dialect's 400.
    let mut dialect = DialectContext::new(context.actor.dialect);
    for (index, operation) in bulk.operations.iter().enumerate() {
        if operation.method_in_other_case {
            dialect.tolerate(
                Deviation::BulkMethodCase,
                &format!("Operations[{index}].method"),
            )?;
        }
        if operation.endpoint_in_other_case {
            dialect.tolerate(
                Deviation::EndpointCase,
                &format!("Operations[{index}].path"),
            )?;
        }
    }
    applied.tolerated.extend(dialect.tolerated);
    let results = run(tx, context, bulk, steps, location, &mut applied)?;
    Ok(applied.map(|()| BulkOutcome(results)))
}

/// What one operation did.
#[derive(Debug)]
struct OperationResult {
    index: usize,
    method: BulkMethod,
    bulk_id: Option<String>,
    location: Option<String>,
    version: Option<String>,
    outcome: Result<u16, ScimError>,
}

impl OperationResult {
    fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("method".into(), json!(self.method.as_str()));
        if let Some(bulk_id) = &self.bulk_id {
            object.insert("bulkId".into(), json!(bulk_id));
        }
        if let Some(version) = &self.version {
            object.insert("version".into(), json!(version));
        }
        if let Some(location) = &self.location {
            object.insert("location".into(), json!(location));
        }
        match &self.outcome {
            Ok(status) => {
                object.insert("status".into(), json!(status.to_string()));
            }
            Err(error) => {
                let mut error = error.clone();
                if error.status >= 500 {
                    // As for a single request: the detail may name internals.
                    tracing::error!(status = error.status, detail = %error.detail, "bulk operation failed");
                    error.detail = "internal error".to_owned();
                    error.scim_type = None;
                }
                object.insert("status".into(), json!(error.status.to_string()));
                object.insert("response".into(), error.to_body());
            }
        }
        Value::Object(object)
    }
}

/// What a successful operation leaves: the resource's id and, unless it was deleted, its
/// entity tag.
struct Done {
    id: String,
    version: Option<String>,
}

/// Run the planned steps until `failOnErrors` failures; the results in request order. An
/// `Err` is a database failure that ends the whole request (rolled back). The deviations
/// the applied operations tolerated go to `tolerated`.
fn run(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    bulk: &BulkRequest,
    steps: Vec<Step>,
    location: &dyn Fn(ResourceKind, &str) -> String,
    applied: &mut Applied<()>,
) -> Result<Vec<OperationResult>, Failure> {
    let mut created: HashMap<String, String> = HashMap::new();
    let mut results = Vec::with_capacity(steps.len());
    let mut errors = 0;
    for step in steps {
        if bulk.fail_on_errors.is_some_and(|limit| errors >= limit) {
            break;
        }
        let index = step.index();
        let Some(operation) = bulk.operations.get(index) else {
            return Err(
                Error::internal(format!("the bulk plan names no operation {index}")).into(),
            );
        };
        let kind = kind_of(operation.endpoint);
        let (outcome, resolved_id) = match step {
            Step::Fail(_, error) => (Err(error), None),
            Step::Run(_) => match operation.resolve(&created) {
                Err(error) => (Err(error), None),
                Ok(resolved) => {
                    let id = resolved.id.clone();
                    (
                        run_operation(tx, context, operation, &resolved, applied)?,
                        id,
                    )
                }
            },
        };
        let id = resolved_id.or_else(|| operation.id.clone());
        let mut result = OperationResult {
            index,
            method: operation.method,
            bulk_id: operation.bulk_id.clone(),
            location: id.map(|id| location(kind, &id)),
            version: None,
            outcome: Ok(operation.method.success_status()),
        };
        match outcome {
            Ok(done) => {
                if let (BulkMethod::Post, Some(bulk_id)) = (operation.method, &operation.bulk_id) {
                    created.insert(bulk_id.clone(), done.id.clone());
                }
                result.location = Some(location(kind, &done.id));
                result.version = done.version;
            }
            Err(error) => {
                errors += 1;
                record_failure(tx, context, operation, id_of_failed(&result), &error)?;
                if operation.method == BulkMethod::Post {
                    result.location = None;
                }
                result.outcome = Err(error);
            }
        }
        results.push(result);
    }
    results.sort_by_key(|result| result.index);
    Ok(results)
}

/// The resource id a failed operation named (`None` for a POST).
fn id_of_failed(result: &OperationResult) -> Option<&str> {
    match result.method {
        BulkMethod::Post => None,
        _ => result
            .location
            .as_deref()
            .and_then(|location| location.rsplit('/').next()),
    }
}

/// The audit record of a failed operation: its own operation (`user.create`, …), target,
/// status and error, and where it was (`bulkId`, `method`, `path`). It goes in the
/// request's transaction, outside the operation's rolled-back savepoint.
fn record_failure(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    operation: &BulkOperation,
    id: Option<&str>,
    error: &ScimError,
) -> Result<(), Failure> {
    let noun = trail::noun(kind_of(operation.endpoint));
    let verb = match operation.method {
        BulkMethod::Post => "create",
        BulkMethod::Put => "replace",
        BulkMethod::Patch => "patch",
        BulkMethod::Delete => "delete",
    };
    let target = match id {
        Some(id) => format!("{noun}:{id}"),
        None => noun.to_owned(),
    };
    let path = match &operation.id {
        Some(id) => format!("{}/{id}", operation.endpoint.as_str()),
        None => operation.endpoint.as_str().to_owned(),
    };
    let bulk = json!({
        "bulkId": operation.bulk_id,
        "method": operation.method.as_str(),
        "path": path,
    });
    let failed = trail::Failed {
        operation: &format!("{noun}.{verb}"),
        target: &target,
        error: &Error::from(error.clone()),
        extra: Some(("bulk", bulk)),
    };
    trail::failure(tx, context.actor, Api::Scim, failed, context.now)?;
    Ok(())
}

fn kind_of(endpoint: Endpoint) -> ResourceKind {
    match endpoint {
        Endpoint::Users => ResourceKind::User,
        Endpoint::Groups => ResourceKind::Group,
    }
}

/// Run one operation in its own savepoint. The inner `Err` is that operation's failure
/// (its changes undone); the outer one a database failure that ends the request. A PUT
/// or PATCH without `version` that lost a race with a concurrent write (a 412 the client
/// did not ask for) is tried again, as single requests are.
fn run_operation(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    operation: &BulkOperation,
    resolved: &ResolvedOperation,
    applied: &mut Applied<()>,
) -> Result<Result<Done, ScimError>, Failure> {
    let preconditions = match &operation.version {
        Some(version) => match Preconditions::if_match(version) {
            Ok(preconditions) => preconditions,
            Err(error) => return Ok(Err(error)),
        },
        None => Preconditions::default(),
    };
    let mut attempt = 1;
    loop {
        let outcome = tx.savepoint(|tx| write(tx, context, operation, resolved, &preconditions));
        let error = match outcome {
            Ok(done) => {
                applied.tolerated.extend(done.tolerated);
                applied.access.extend(done.access);
                return Ok(Ok(done.value));
            }
            Err(Failure::Refused(error)) => error.as_scim().clone(),
            Err(Failure::Store(error)) if is_fatal(&error) => return Err(Failure::Store(error)),
            Err(Failure::Store(error)) => Error::from(error).as_scim().clone(),
        };
        if error.status == 412 && preconditions.is_empty() && attempt < ATTEMPTS {
            attempt += 1;
            continue;
        }
        return Ok(Err(error));
    }
}

/// Whether a store error is the database failing rather than this operation.
fn is_fatal(error: &StoreError) -> bool {
    !matches!(
        error,
        StoreError::NotFound
            | StoreError::Uniqueness(_)
            | StoreError::VersionMismatch { .. }
            | StoreError::InvalidMember(_)
            | StoreError::NoTarget(_)
            | StoreError::Invalid(_)
    )
}

fn write(
    tx: &mut Tx<'_>,
    context: &Context<'_>,
    operation: &BulkOperation,
    resolved: &ResolvedOperation,
    preconditions: &Preconditions,
) -> Result<Applied<Done>, Failure> {
    let kind = kind_of(operation.endpoint);
    // The parser guarantees both where the method needs them.
    let data = || {
        resolved
            .data
            .as_ref()
            .ok_or_else(|| Error::internal("a bulk operation without data"))
    };
    let id = || {
        resolved
            .id
            .as_deref()
            .ok_or_else(|| Error::internal("a bulk operation without an id"))
    };
    let applied = match operation.method {
        BulkMethod::Post => super::create(tx, context, kind, data()?)?,
        BulkMethod::Put => {
            let existing = load_for_write(tx, context, kind, id()?, preconditions)?;
            super::replace(tx, context, kind, existing, data()?, false)?
        }
        BulkMethod::Patch => {
            let existing = load_for_write(tx, context, kind, id()?, preconditions)?;
            super::patch(tx, context, kind, existing, data()?, false)?
        }
        BulkMethod::Delete => {
            let id = id()?;
            return Ok(
                super::delete(tx, context, kind, id, preconditions)?.map(|()| Done {
                    id: id.to_owned(),
                    version: None,
                }),
            );
        }
    };
    Ok(applied.map(|stored| Done {
        version: Some(stored.etag()),
        id: stored.id,
    }))
}
