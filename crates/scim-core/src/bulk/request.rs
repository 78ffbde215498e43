//! The BulkRequest message: its envelope and operations, checked before anything runs.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::bulk::references;
use crate::error::ScimError;
use crate::patch::member;
use crate::schema::urn;

/// The HTTP method of one bulk operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BulkMethod {
    /// Create a resource (`path` names an endpoint; `bulkId` required).
    Post,
    /// Replace a resource.
    Put,
    /// Modify a resource (`data` is a PatchOp message).
    Patch,
    /// Delete a resource.
    Delete,
}

impl BulkMethod {
    /// `POST`, `PUT`, `PATCH` or `DELETE`.
    pub fn as_str(self) -> &'static str {
        match self {
            BulkMethod::Post => "POST",
            BulkMethod::Put => "PUT",
            BulkMethod::Patch => "PATCH",
            BulkMethod::Delete => "DELETE",
        }
    }

    fn parse(text: &str) -> Option<BulkMethod> {
        [
            BulkMethod::Post,
            BulkMethod::Put,
            BulkMethod::Patch,
            BulkMethod::Delete,
        ]
        .into_iter()
        .find(|method| method.as_str().eq_ignore_ascii_case(text))
    }

    /// The status a successful operation answers (RFC 7644 §3.7.3 examples).
    pub fn success_status(self) -> u16 {
        match self {
            BulkMethod::Post => 201,
            BulkMethod::Put | BulkMethod::Patch => 200,
            BulkMethod::Delete => 204,
        }
    }
}

/// The resource endpoint a bulk operation's `path` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `/Users`.
    Users,
    /// `/Groups`.
    Groups,
}

impl Endpoint {
    /// `/Users` or `/Groups`.
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Users => "/Users",
            Endpoint::Groups => "/Groups",
        }
    }

    fn parse(text: &str) -> Option<Endpoint> {
        [Endpoint::Users, Endpoint::Groups]
            .into_iter()
            .find(|endpoint| endpoint.as_str()[1..].eq_ignore_ascii_case(text))
    }
}

/// One operation of a bulk request, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkOperation {
    /// The method.
    pub method: BulkMethod,
    /// The method was written in another case than the RFC's (`post`):
    /// [`crate::Deviation::BulkMethodCase`], for the organization's dialect to judge.
    pub method_in_other_case: bool,
    /// The endpoint of `path` was written in another case than the RFC's (`/users`):
    /// [`crate::Deviation::EndpointCase`], for the organization's dialect to judge.
    pub endpoint_in_other_case: bool,
    /// The client's transient id (always present on a POST).
    pub bulk_id: Option<String>,
    /// The version the client expects (`If-Match` semantics), as sent.
    pub version: Option<String>,
    /// The endpoint of `path`.
    pub endpoint: Endpoint,
    /// The resource id of `path` (`None` for a POST); may be a `bulkId:x` reference.
    pub id: Option<String>,
    /// The body: an object for POST, PUT and PATCH, `None` for DELETE.
    pub data: Option<Value>,
    /// The `bulkId`s referred to in the path and the data, without duplicates, in order of
    /// first appearance.
    pub references: Vec<String>,
}

/// A bulk operation whose `bulkId:x` references are replaced by resource ids.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedOperation {
    /// The resource id of `path` (`None` for a POST).
    pub id: Option<String>,
    /// The body, references replaced.
    pub data: Option<Value>,
}

impl BulkOperation {
    /// Replace every `bulkId:x` reference with `created[x]`, the id the POST of `x` was
    /// given. A reference to a POST that did not succeed is a 409 (RFC 7644 §3.7.1: the
    /// reference could not be resolved).
    pub fn resolve(
        &self,
        created: &HashMap<String, String>,
    ) -> Result<ResolvedOperation, ScimError> {
        if let Some(missing) = self
            .references
            .iter()
            .find(|bulk_id| !created.contains_key(bulk_id.as_str()))
        {
            return Err(conflict(format!(
                "\"{}{missing}\" cannot be resolved: the operation that creates it failed",
                references::BULK_ID_PREFIX
            )));
        }
        let id = self.id.as_ref().map(|id| match references::bulk_id_of(id) {
            Some(bulk_id) => created.get(bulk_id).cloned().unwrap_or_default(),
            None => id.clone(),
        });
        let data = self.data.clone().map(|mut data| {
            references::substitute(&mut data, created);
            data
        });
        Ok(ResolvedOperation { id, data })
    }
}

/// A parsed bulk request.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkRequest {
    /// Stop once this many operations have failed (`failOnErrors`); `None` runs them all.
    pub fail_on_errors: Option<usize>,
    /// The operations, in request order.
    pub operations: Vec<BulkOperation>,
}

impl BulkRequest {
    /// Parse a BulkRequest body. More than `max_operations` operations is a 413 (RFC 7644
    /// §3.7.4). A body that is not a BulkRequest (wrong `schemas`, no `Operations`) is a 400
    /// `invalidSyntax`; a bad value (method, path, a POST without `bulkId`, a duplicate
    /// `bulkId`, `failOnErrors` below 1) a 400 `invalidValue`. Errors name the operation,
    /// as in `Operations[2].path: ...`.
    pub fn parse(body: &Value, max_operations: usize) -> Result<BulkRequest, ScimError> {
        let object = body
            .as_object()
            .ok_or_else(|| ScimError::invalid_syntax("a BulkRequest must be a JSON object"))?;
        check_schemas(object)?;
        let operations = member(object, "Operations")
            .ok_or_else(|| ScimError::invalid_syntax("a BulkRequest needs \"Operations\""))?
            .as_array()
            .ok_or_else(|| ScimError::invalid_syntax("\"Operations\" must be an array"))?;
        if operations.len() > max_operations {
            return Err(ScimError {
                status: 413,
                scim_type: None,
                detail: format!(
                    "the bulk request has {} operations; maxOperations is {max_operations}",
                    operations.len()
                ),
                span: None,
            });
        }
        if operations.is_empty() {
            return Err(ScimError::invalid_syntax(
                "\"Operations\" must hold at least one operation",
            ));
        }
        let fail_on_errors = match member(object, "failOnErrors") {
            None | Some(Value::Null) => None,
            Some(value) => Some(
                value
                    .as_u64()
                    .filter(|errors| *errors >= 1)
                    .map(|errors| usize::try_from(errors).unwrap_or(usize::MAX))
                    .ok_or_else(|| {
                        ScimError::invalid_value("\"failOnErrors\" must be an integer of 1 or more")
                    })?,
            ),
        };
        let operations = operations
            .iter()
            .enumerate()
            .map(|(index, operation)| parse_operation(index, operation))
            .collect::<Result<Vec<_>, _>>()?;
        let mut seen = HashSet::new();
        for (index, operation) in operations.iter().enumerate() {
            if let Some(bulk_id) = &operation.bulk_id
                && !seen.insert(bulk_id.as_str())
            {
                return Err(ScimError::invalid_value(format!(
                    "Operations[{index}].bulkId: {bulk_id:?} is used by an earlier operation"
                )));
            }
        }
        Ok(BulkRequest {
            fail_on_errors,
            operations,
        })
    }
}

/// `schemas` must be an array holding the BulkRequest URN (case-insensitively).
fn check_schemas(object: &Map<String, Value>) -> Result<(), ScimError> {
    let holds_bulk_request = member(object, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|schemas| {
            schemas
                .iter()
                .filter_map(Value::as_str)
                .any(|schema| schema.eq_ignore_ascii_case(urn::BULK_REQUEST))
        });
    if holds_bulk_request {
        Ok(())
    } else {
        Err(ScimError::invalid_syntax(format!(
            "\"schemas\" must be an array holding {:?}",
            urn::BULK_REQUEST
        )))
    }
}

fn parse_operation(index: usize, operation: &Value) -> Result<BulkOperation, ScimError> {
    let at = |what: &str| format!("Operations[{index}]{what}");
    let object = operation
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax(format!("{}: must be an object", at(""))))?;
    let text = |name: &str| -> Result<Option<&str>, ScimError> {
        match member(object, name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.as_str())),
            Some(_) => Err(ScimError::invalid_syntax(format!(
                "{}: must be a string",
                at(&format!(".{name}"))
            ))),
        }
    };
    let method_text = text("method")?
        .ok_or_else(|| ScimError::invalid_value(format!("{}: \"method\" is missing", at(""))))?;
    let method = BulkMethod::parse(method_text).ok_or_else(|| {
        ScimError::invalid_value(format!(
            "{}: {method_text:?} is not POST, PUT, PATCH or DELETE",
            at(".method")
        ))
    })?;
    let bulk_id = match text("bulkId")? {
        Some("") => {
            return Err(ScimError::invalid_value(format!(
                "{}: must not be empty",
                at(".bulkId")
            )));
        }
        other => other.map(str::to_owned),
    };
    if method == BulkMethod::Post && bulk_id.is_none() {
        return Err(ScimError::invalid_value(format!(
            "{}: a POST needs a \"bulkId\"",
            at("")
        )));
    }
    let version = text("version")?.map(str::to_owned);
    let path = text("path")?
        .ok_or_else(|| ScimError::invalid_value(format!("{}: \"path\" is missing", at(""))))?;
    let (endpoint, id, endpoint_in_other_case) = parse_path(path, method).ok_or_else(|| {
        let expected = match method {
            BulkMethod::Post => "/Users or /Groups",
            _ => "/Users/{id} or /Groups/{id}",
        };
        ScimError::invalid_value(format!(
            "{}: {path:?} is not {expected} (a {} names {})",
            at(".path"),
            method.as_str(),
            if method == BulkMethod::Post {
                "an endpoint"
            } else {
                "one resource"
            }
        ))
    })?;
    let data = match method {
        BulkMethod::Delete => None,
        _ => match member(object, "data") {
            Some(data @ Value::Object(_)) => Some(data.clone()),
            None | Some(Value::Null) => {
                return Err(ScimError::invalid_value(format!(
                    "{}: a {} needs \"data\"",
                    at(""),
                    method.as_str()
                )));
            }
            Some(_) => {
                return Err(ScimError::invalid_syntax(format!(
                    "{}: must be an object",
                    at(".data")
                )));
            }
        },
    };
    let mut referenced = Vec::new();
    if let Some(bulk_id) = id.as_deref().and_then(references::bulk_id_of) {
        referenced.push(bulk_id.to_owned());
    }
    if let Some(data) = &data {
        references::collect(data, &mut referenced);
    }
    Ok(BulkOperation {
        method,
        method_in_other_case: method_text != method.as_str(),
        endpoint_in_other_case,
        bulk_id,
        version,
        endpoint,
        id,
        data,
        references: referenced,
    })
}

/// A checked `path`: its endpoint, its resource id (`None` for a POST), and whether the
/// endpoint was written in another case than the RFC's.
type Path = (Endpoint, Option<String>, bool);

/// `/Users` for a POST, `/Users/{id}` otherwise: a leading slash is required, one trailing
/// slash is dropped (`/Users/`, `/Users/{id}/`, as the router does for a request's own
/// path), and the endpoint name is matched case-insensitively, the third member saying
/// whether it was written in another case ([`crate::Deviation::EndpointCase`]).
fn parse_path(path: &str, method: BulkMethod) -> Option<Path> {
    let rest = path.strip_prefix('/')?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let (name, id) = match rest.split_once('/') {
        Some((name, id)) => (name, Some(id)),
        None => (rest, None),
    };
    let endpoint = Endpoint::parse(name)?;
    let other_case = name != &endpoint.as_str()[1..];
    match (method, id) {
        (BulkMethod::Post, None) => Some((endpoint, None, other_case)),
        (BulkMethod::Post, Some(_)) | (_, None) => None,
        (_, Some(id)) => {
            let valid = !id.is_empty() && !id.contains(['/', '?', '#']);
            valid.then(|| (endpoint, Some(id.to_owned()), other_case))
        }
    }
}

/// A 409 without `scimType` (RFC 7644 §3.7.1).
pub(crate) fn conflict(detail: String) -> ScimError {
    ScimError {
        status: 409,
        scim_type: None,
        detail,
        span: None,
    }
}
