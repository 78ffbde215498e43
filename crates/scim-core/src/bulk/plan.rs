//! The order a bulk request runs in: request order, except that an operation waits for the
//! POSTs whose `bulkId`s it refers to (RFC 7644 §3.7: the server may reorder as long as
//! the client's intent is kept). Operations that can never run — a reference to an unknown
//! `bulkId`, or references that go round in a circle — are failed instead, in time linear
//! in the operations and references.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use crate::bulk::references::BULK_ID_PREFIX;
use crate::bulk::request::{BulkMethod, BulkRequest, conflict};
use crate::error::ScimError;

/// One step of a bulk request's execution.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Run operation `index` (its references are created, or failed, by then).
    Run(usize),
    /// Operation `index` cannot run: report this error for it.
    Fail(usize, ScimError),
}

impl Step {
    /// The operation this step is about.
    pub fn index(&self) -> usize {
        match self {
            Step::Run(index) | Step::Fail(index, _) => *index,
        }
    }
}

/// Every operation of `request`, once, in the order to run it. An operation referring to
/// a `bulkId` that no POST of the request defines fails with a 400 `invalidValue` at its
/// place; one on a circle of references (RFC 7644 §3.7.1), or waiting for one, fails with
/// a 409 after everything that could run.
pub fn plan(request: &BulkRequest) -> Vec<Step> {
    let operations = &request.operations;
    let defined: HashMap<&str, usize> = operations
        .iter()
        .enumerate()
        .filter(|(_, operation)| operation.method == BulkMethod::Post)
        .filter_map(|(index, operation)| Some((operation.bulk_id.as_deref()?, index)))
        .collect();
    let mut unknown: HashMap<usize, &str> = HashMap::new();
    // depends_on[i]: the POSTs operation i waits for.
    let mut depends_on: Vec<Vec<usize>> = vec![Vec::new(); operations.len()];
    for (index, operation) in operations.iter().enumerate() {
        for bulk_id in &operation.references {
            match defined.get(bulk_id.as_str()) {
                Some(&creator) => depends_on[index].push(creator),
                None => {
                    unknown.entry(index).or_insert(bulk_id);
                }
            }
        }
    }
    for index in unknown.keys() {
        // It fails anyway: it waits for nothing.
        depends_on[*index].clear();
    }
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); operations.len()];
    let mut waiting_for: Vec<usize> = vec![0; operations.len()];
    for (index, creators) in depends_on.iter().enumerate() {
        waiting_for[index] = creators.len();
        for &creator in creators {
            dependents[creator].push(index);
        }
    }
    // Kahn's algorithm, always taking the earliest ready operation of the request.
    let mut ready: BinaryHeap<Reverse<usize>> = (0..operations.len())
        .filter(|&index| waiting_for[index] == 0)
        .map(Reverse)
        .collect();
    let mut steps = Vec::with_capacity(operations.len());
    let mut placed = vec![false; operations.len()];
    while let Some(Reverse(index)) = ready.pop() {
        placed[index] = true;
        steps.push(match unknown.get(&index) {
            Some(bulk_id) => Step::Fail(
                index,
                ScimError::invalid_value(format!(
                    "Operations[{index}]: \"{BULK_ID_PREFIX}{bulk_id}\" names no POST operation of this request"
                )),
            ),
            None => Step::Run(index),
        });
        for &dependent in &dependents[index] {
            waiting_for[dependent] -= 1;
            if waiting_for[dependent] == 0 {
                ready.push(Reverse(dependent));
            }
        }
    }
    let stuck: Vec<usize> = (0..operations.len()).filter(|&i| !placed[i]).collect();
    if !stuck.is_empty() {
        let on_circle = on_circle(&depends_on, &placed);
        for index in stuck {
            let detail = if on_circle[index] {
                format!("Operations[{index}]: its bulkId references are circular (RFC 7644 §3.7.1)")
            } else {
                format!(
                    "Operations[{index}]: it refers to a bulkId whose operation has circular references"
                )
            };
            steps.push(Step::Fail(index, conflict(detail)));
        }
    }
    steps
}

/// For each operation not `placed`: whether it lies on a circle of the graph `depends_on`
/// restricted to the unplaced operations (a strongly connected component with more than
/// one operation, or one that refers to itself). Kosaraju's algorithm with explicit
/// stacks: no recursion on attacker-sized input.
fn on_circle(depends_on: &[Vec<usize>], placed: &[bool]) -> Vec<bool> {
    let count = depends_on.len();
    let edges = |node: usize| depends_on[node].iter().copied().filter(|&n| !placed[n]);
    // Pass 1: finishing order.
    let mut visited = placed.to_vec();
    let mut finished = Vec::with_capacity(count);
    for start in 0..count {
        if visited[start] {
            continue;
        }
        visited[start] = true;
        let mut stack = vec![(start, 0_usize)];
        while let Some((node, next)) = stack.last_mut() {
            // Placed operations count as visited: only unplaced ones are followed.
            if let Some(&successor) = depends_on[*node].get(*next) {
                *next += 1;
                if !visited[successor] {
                    visited[successor] = true;
                    stack.push((successor, 0));
                }
            } else {
                finished.push(*node);
                stack.pop();
            }
        }
    }
    // Pass 2: components on the reversed graph, in reverse finishing order.
    let mut reversed: Vec<Vec<usize>> = vec![Vec::new(); count];
    for node in (0..count).filter(|&n| !placed[n]) {
        for successor in edges(node) {
            reversed[successor].push(node);
        }
    }
    let mut component: Vec<Option<usize>> = vec![None; count];
    let mut sizes: Vec<usize> = Vec::new();
    for &root in finished.iter().rev() {
        if component[root].is_some() {
            continue;
        }
        let id = sizes.len();
        sizes.push(0);
        component[root] = Some(id);
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            sizes[id] += 1;
            for &predecessor in &reversed[node] {
                if component[predecessor].is_none() {
                    component[predecessor] = Some(id);
                    stack.push(predecessor);
                }
            }
        }
    }
    (0..count)
        .map(|node| match component[node] {
            Some(id) => sizes[id] > 1 || edges(node).any(|successor| successor == node),
            None => false,
        })
        .collect()
}
