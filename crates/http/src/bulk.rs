//! `POST /Bulk` (RFC 7644 §3.7).
//!
//! The body (within `maxPayloadSize`) is parsed and planned by `scim_core::bulk` before
//! anything runs: a malformed request is a 400, too many operations a 413. Then one
//! transaction authenticates the token once and runs the operations in the planned order,
//! each in its own savepoint (`Tx::savepoint`) through the same functions as the
//! single-resource handlers (`operations.rs`): a failing operation undoes only its own
//! changes, and the others stay applied. A POST's `bulkId` is then known by its new id,
//! and later operations referring to `bulkId:x` get it. After `failOnErrors` failures the
//! remaining operations are neither run nor reported. Each failed operation leaves its own
//! audit record (its operation, target, status, error, and `bulk`: its `bulkId`, method and
//! path), written in the request's transaction after its savepoint was rolled back.
//!
//! The answer is a 200 BulkResponse listing the operations that ran, in request order:
//! `method`, `bulkId`, `location` (not for a failed POST), `version` (of a success that
//! leaves a resource), `status` as a string (`"201"`, as the RFC's examples have it) and,
//! for a failure, `response` with the SCIM error body. A database failure (not a protocol
//! error of one operation) rolls the whole request back and answers 500 or 503.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use rollcall_store::{ResourceKind, StoreError, Tx};
use scim_core::bulk::{BulkMethod, BulkOperation, BulkRequest, Endpoint, ResolvedOperation, Step};
use scim_core::{Deviation, SchemaRegistry, ScimError, urn};
use serde_json::{Map, Value, json};

use crate::auth::{ATTEMPTS, BearerToken, Caller, scim_transaction};
use crate::blocking::Access;
use crate::content::BulkBody;
use crate::error::{ApiError, Failure};
use crate::etag::Preconditions;
use crate::operations;
use crate::response::{base_url, location, scim_json};
use crate::state::{AppState, internal};

/// `POST /Bulk`: a BulkResponse.
pub(crate) async fn bulk(
    request: HttpRequest,
    state: web::Data<AppState>,
    token: BearerToken,
    body: BulkBody,
) -> Result<HttpResponse, ApiError> {
    let max_operations = usize::try_from(state.config.max_bulk_operations).unwrap_or(usize::MAX);
    let bulk = BulkRequest::parse(&body.0, max_operations)?;
    let steps = scim_core::bulk::plan(&bulk);
    let base = base_url(&request);
    let now = state.now();
    let (results, tolerated) =
        scim_transaction(&request, &state, Access::Write, token, move |tx, caller| {
            let mut tolerated = Vec::new();
            let results = run(
                tx,
                &caller.registry,
                caller,
                &bulk,
                steps,
                &base,
                now,
                &mut tolerated,
            )?;
            Ok((results, tolerated))
        })
        .await?;
    state.deviations.record(&tolerated);
    let operations: Vec<Value> = results.iter().map(OperationResult::to_json).collect();
    let body = json!({"schemas": [urn::BULK_RESPONSE], "Operations": operations});
    Ok(scim_json(StatusCode::OK, &body))
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
#[allow(clippy::too_many_arguments)]
fn run(
    tx: &mut Tx<'_>,
    registry: &SchemaRegistry,
    caller: &Caller,
    bulk: &BulkRequest,
    steps: Vec<Step>,
    base: &str,
    now: DateTime<Utc>,
    tolerated: &mut Vec<Deviation>,
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
            return Err(internal(format!("the bulk plan names no operation {index}")).into());
        };
        let kind = kind_of(operation.endpoint);
        let (outcome, resolved_id) = match step {
            Step::Fail(_, error) => (Err(error), None),
            Step::Run(_) => match operation.resolve(&created) {
                Err(error) => (Err(error), None),
                Ok(resolved) => {
                    let id = resolved.id.clone();
                    (
                        run_operation(tx, registry, caller, operation, &resolved, now, tolerated)?,
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
            location: id.map(|id| location(base, kind, &id)),
            version: None,
            outcome: Ok(operation.method.success_status()),
        };
        match outcome {
            Ok(done) => {
                if let (BulkMethod::Post, Some(bulk_id)) = (operation.method, &operation.bulk_id) {
                    created.insert(bulk_id.clone(), done.id.clone());
                }
                result.location = Some(location(base, kind, &done.id));
                result.version = done.version;
            }
            Err(error) => {
                errors += 1;
                record_failure(tx, caller, operation, id_of_failed(&result), &error, now)?;
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
    caller: &Caller,
    operation: &BulkOperation,
    id: Option<&str>,
    error: &ScimError,
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    let noun = crate::audit::noun(kind_of(operation.endpoint));
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
    crate::audit::record_failed_operation(
        tx,
        caller,
        &format!("{noun}.{verb}"),
        &target,
        error,
        bulk,
        now,
    )?;
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
    registry: &SchemaRegistry,
    caller: &Caller,
    operation: &BulkOperation,
    resolved: &ResolvedOperation,
    now: DateTime<Utc>,
    tolerated: &mut Vec<Deviation>,
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
        let mut met = Vec::new();
        let outcome = tx.savepoint(|tx| {
            write(
                tx,
                registry,
                caller,
                operation,
                resolved,
                &preconditions,
                now,
                &mut met,
            )
        });
        let error = match outcome {
            Ok(done) => {
                tolerated.extend(met);
                return Ok(Ok(done));
            }
            Err(Failure::Scim(error)) => error,
            Err(Failure::Store(error)) if is_fatal(&error) => return Err(Failure::Store(error)),
            Err(Failure::Store(error)) => ScimError::from(error),
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

#[allow(clippy::too_many_arguments)]
fn write(
    tx: &mut Tx<'_>,
    registry: &SchemaRegistry,
    caller: &Caller,
    operation: &BulkOperation,
    resolved: &ResolvedOperation,
    preconditions: &Preconditions,
    now: DateTime<Utc>,
    tolerated: &mut Vec<Deviation>,
) -> Result<Done, Failure> {
    let kind = kind_of(operation.endpoint);
    // The parser guarantees both where the method needs them.
    let data = || {
        resolved
            .data
            .as_ref()
            .ok_or_else(|| internal("a bulk operation without data"))
    };
    let id = || {
        resolved
            .id
            .as_deref()
            .ok_or_else(|| internal("a bulk operation without an id"))
    };
    let stored = match operation.method {
        BulkMethod::Post => {
            operations::create(tx, registry, caller, kind, data()?, now, tolerated)?
        }
        BulkMethod::Put => {
            let (existing, expected) =
                operations::load_for_write(tx, caller, kind, id()?, preconditions)?;
            operations::replace(
                tx,
                registry,
                caller,
                kind,
                existing,
                expected,
                data()?,
                now,
                false,
                tolerated,
            )?
        }
        BulkMethod::Patch => {
            let (existing, expected) =
                operations::load_for_write(tx, caller, kind, id()?, preconditions)?;
            operations::patch(
                tx,
                registry,
                caller,
                kind,
                existing,
                expected,
                data()?,
                now,
                false,
                tolerated,
            )?
        }
        BulkMethod::Delete => {
            let id = id()?;
            operations::delete(tx, caller, kind, id, preconditions, now)?;
            return Ok(Done {
                id: id.to_owned(),
                version: None,
            });
        }
    };
    Ok(Done {
        version: Some(stored.etag()),
        id: stored.id,
    })
}
