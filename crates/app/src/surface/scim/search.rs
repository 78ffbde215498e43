//! `POST /.search` at the root (RFC 7644 §3.4.3): one SearchRequest over users and groups.
//!
//! Decisions: the filter, `sortBy` and projection are resolved against each resource type;
//! a type they do not fit (e.g. `userName` for groups) contributes nothing, and only when
//! they fit no type is the request a 400 (the error of the first type). Results are the
//! matching users, then the matching groups, each sorted by `sortBy` within its type;
//! a type `sortBy` does not fit (`userName` for groups) has no value for it, so its
//! resources come last, as resources without the value do within a type (RFC 7644
//! §3.4.2.3). `startIndex` and `count` page through that concatenation.
//! - Cursor paging (RFC 9865) is offered per resource type (`/Users/.search`,
//!   `/Groups/.search`), not here: one keyset cannot span two tables, so a `cursor` in a
//!   root SearchRequest is a 400 `invalidValue`.

use std::sync::Arc;

use rollcall_store::ResourceKind;
use scim_core::ScimError;

use super::list::{ListPlan, QueryParams, list_response};
use crate::error::Error;
use crate::provisioning::{Applied, resource_type};
use crate::response::Response;
use crate::surface::body::Limit;
use crate::surface::call::Call;
use crate::transaction::Access;

const KINDS: [ResourceKind; 2] = [ResourceKind::User, ResourceKind::Group];

/// `POST /.search`.
pub(crate) async fn search_all(call: &mut Call<'_>) -> Result<Response, Error> {
    let credential = call.credential()?;
    let body = call.json(Limit::Body)?;
    let params = QueryParams::from_search_request(&body)?;
    if params.cursor.is_some() {
        return Err(ScimError::invalid_value(
            "cursor paging is offered by /Users/.search and /Groups/.search, not by the \
             root /.search (which merges two resource types); use startIndex here",
        )
        .into());
    }
    let config = Arc::clone(&call.app.config);
    let (total, start_index, pages, registry) = call
        .scim_applied(Access::Read, &credential, move |tx, context| {
            let registry = context.schemas_handle();
            let dialect = context.actor.dialect;
            let mut plans = Vec::new();
            // Types `sortBy` does not fit: none of their resources has a value for it, so
            // they come after the others, as resources without the value always do.
            let mut unsorted = Vec::new();
            let unsorted_params = QueryParams {
                sort_by: None,
                sort_order: None,
                ..params.clone()
            };
            let mut first_error = None;
            for kind in KINDS {
                let rt = resource_type(&registry, kind)?;
                match ListPlan::new(&registry, (rt, kind), &config, &params, dialect) {
                    Ok(plan) => plans.push((kind, plan)),
                    Err(error) => {
                        let without_sort = params
                            .sort_by
                            .is_some()
                            .then(|| {
                                ListPlan::new(
                                    &registry,
                                    (rt, kind),
                                    &config,
                                    &unsorted_params,
                                    dialect,
                                )
                            })
                            .and_then(Result::ok);
                        if let Some(plan) = without_sort {
                            unsorted.push((kind, plan));
                        }
                        first_error.get_or_insert(error);
                    }
                }
            }
            if plans.is_empty()
                && let Some(error) = first_error
            {
                return Err(error.into());
            }
            plans.extend(unsorted);
            // One filter for every type: what it relied on counts once.
            let tolerated = plans
                .first()
                .map(|(_, plan)| plan.tolerated.clone())
                .unwrap_or_default();
            let (start_index, count) = plans
                .first()
                .map(|(_, plan)| plan.window())
                .unwrap_or((1, 0));
            let org = context.org();
            let mut pages = Vec::new();
            let mut total = 0u64;
            // `skip` results still to pass over, `wanted` results still to return.
            let mut skip = start_index - 1;
            let mut wanted = count;
            for (kind, plan) in plans {
                let plan = plan.with_window(skip + 1, wanted);
                let page = tx.resources(kind).list(org, &plan.query())?;
                total += page.total_results;
                if skip >= page.total_results {
                    skip -= page.total_results;
                    continue;
                }
                skip = 0;
                wanted -= (page.resources.len() as u64).min(wanted);
                pages.push((kind, plan, page));
            }
            Ok(Applied {
                value: (total, start_index, pages, registry),
                tolerated,
                access: Vec::new(),
            })
        })
        .await?;
    let base = call.base_url();
    let mut resources = Vec::new();
    for (kind, plan, page) in &pages {
        let rt = resource_type(&registry, *kind)?;
        resources.extend(plan.project_page(&registry, rt, *kind, base, &page.resources));
    }
    Ok(Response::scim(
        200,
        &list_response(total, start_index, resources),
    ))
}
