//! Nested groups: who is in which group, transitively, and the check that refuses a cycle.
//!
//! The graph holds only direct memberships (a user in a group, a group in a group) and the
//! groups' displayNames; membership is transitive (PRODUCT.md §4). Stored data could still
//! hold a cycle (written before the check existed, or by two racing writers), so every walk
//! here marks what it has seen and terminates on any graph.

use std::collections::{HashMap, HashSet, VecDeque};

/// A group's SCIM `id`.
pub type GroupId = String;

/// Direct memberships (of users and of groups in groups) and group display names: the part
/// of an org's group graph a question needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupGraph {
    /// Each group's displayName (what group mapping rules match).
    pub names: HashMap<GroupId, String>,
    /// `parents[member_id]`: the groups `member_id` (a user or a group) is a direct member of.
    pub parents: HashMap<String, Vec<GroupId>>,
}

/// Why a membership cannot be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MembershipError {
    /// The new membership would close a loop. `chain` reads "`chain[0]` would be a member
    /// of `chain[1]`, which is a member of `chain[2]`, …", and its last element is its first.
    #[error("a group cannot contain itself: {}", chain.join(" → "))]
    Cycle {
        /// The loop the membership would close, from the would-be member back to itself.
        chain: Vec<GroupId>,
    },
    /// The group was named as a member of itself.
    #[error("group {group} cannot be its own member")]
    OwnMember {
        /// The group.
        group: GroupId,
    },
}

/// Whether `member_id` (a user's or a group's SCIM `id`) may be a direct member of
/// `group_id`: anything but the group itself ([`MembershipError::OwnMember`]). Longer
/// loops are [`GroupGraph::check_nesting`]'s.
pub fn check_member(group_id: &str, member_id: &str) -> Result<(), MembershipError> {
    if group_id == member_id {
        return Err(MembershipError::OwnMember {
            group: group_id.to_owned(),
        });
    }
    Ok(())
}

impl GroupGraph {
    /// An empty graph.
    pub fn new() -> GroupGraph {
        GroupGraph::default()
    }

    /// Record that `member` (a user or a group) is a direct member of `group`. Adding a
    /// membership twice changes nothing.
    pub fn add_membership(&mut self, group: &str, member: &str) {
        let groups = self.parents.entry(member.to_owned()).or_default();
        if !groups.iter().any(|existing| existing == group) {
            groups.push(group.to_owned());
        }
    }

    /// Forget that `member` is a direct member of `group` (nothing if it was not).
    pub fn remove_membership(&mut self, group: &str, member: &str) {
        if let Some(groups) = self.parents.get_mut(member) {
            groups.retain(|existing| existing != group);
            if groups.is_empty() {
                self.parents.remove(member);
            }
        }
    }

    /// Record a group's displayName.
    pub fn set_name(&mut self, group: &str, display_name: &str) {
        self.names.insert(group.to_owned(), display_name.to_owned());
    }

    /// A group's displayName, if known.
    pub fn name(&self, group: &str) -> Option<&str> {
        self.names.get(group).map(String::as_str)
    }

    /// The groups `member` is a direct member of, sorted by id (so that every walk is
    /// independent of the order memberships were added in).
    fn direct_groups_sorted(&self, member: &str) -> Vec<&str> {
        let mut groups: Vec<&str> = self
            .parents
            .get(member)
            .map(|groups| groups.iter().map(String::as_str).collect())
            .unwrap_or_default();
        groups.sort_unstable();
        groups.dedup();
        groups
    }

    /// Every group `member` belongs to, transitively, each with its shortest chain from the
    /// member's direct group to that group (`chain[0]` is a direct group of `member`, the
    /// last element is the group itself).
    ///
    /// Breadth-first with each member's groups visited in id order: the result is ordered by
    /// chain length, then by discovery, and depends only on the set of memberships, not on
    /// the order they were added in. Of several shortest chains, the one through the
    /// smallest ids (level by level) is reported. `member` itself is never in the result,
    /// even when cyclic data leads back to it; the walk visits each group once, so it
    /// terminates on any graph.
    pub fn groups_of(&self, member: &str) -> Vec<(GroupId, Vec<GroupId>)> {
        let mut found: Vec<(GroupId, Vec<GroupId>)> = Vec::new();
        // index into `found` of the group whose chain a queued group extends
        let mut seen: HashSet<&str> = HashSet::from([member]);
        let mut queue: VecDeque<(&str, Option<usize>)> = VecDeque::new();
        for group in self.direct_groups_sorted(member) {
            if seen.insert(group) {
                queue.push_back((group, None));
            }
        }
        while let Some((group, via)) = queue.pop_front() {
            let mut chain = match via {
                Some(index) => found[index].1.clone(),
                None => Vec::new(),
            };
            chain.push(group.to_owned());
            found.push((group.to_owned(), chain));
            let index = found.len() - 1;
            for parent in self.direct_groups_sorted(group) {
                if seen.insert(parent) {
                    queue.push_back((parent, Some(index)));
                }
            }
        }
        found
    }

    /// The ids of every group `member` belongs to, transitively (without chains; cheaper
    /// than [`GroupGraph::groups_of`]). Terminates on cyclic data; `member` itself is left
    /// out.
    pub fn group_ids_of(&self, member: &str) -> HashSet<&str> {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack: Vec<&str> = match self.parents.get(member) {
            Some(groups) => groups.iter().map(String::as_str).collect(),
            None => Vec::new(),
        };
        while let Some(group) = stack.pop() {
            if group != member
                && seen.insert(group)
                && let Some(parents) = self.parents.get(group)
            {
                stack.extend(parents.iter().map(String::as_str));
            }
        }
        seen
    }

    /// Whether making `member_group` a member of `group` is allowed: refused with
    /// [`MembershipError::Cycle`] if `group` is already (transitively) a member of
    /// `member_group`, or if they are the same group.
    pub fn check_nesting(&self, group: &str, member_group: &str) -> Result<(), MembershipError> {
        if group == member_group {
            return Err(MembershipError::Cycle {
                chain: vec![member_group.to_owned(), group.to_owned()],
            });
        }
        let loop_back = self
            .groups_of(group)
            .into_iter()
            .find(|(ancestor, _)| ancestor == member_group);
        match loop_back {
            None => Ok(()),
            Some((_, chain_from_group)) => {
                // member_group ∈ group ∈ chain_from_group[0] ∈ … ∈ member_group
                let mut chain = vec![member_group.to_owned(), group.to_owned()];
                chain.extend(chain_from_group);
                Err(MembershipError::Cycle { chain })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (group, member) pairs.
    type Memberships = &'static [(&'static str, &'static str)];

    /// A loop of group ids.
    type Chain = &'static [&'static str];

    fn graph(memberships: &[(&str, &str)]) -> GroupGraph {
        let mut graph = GroupGraph::new();
        for (group, member) in memberships {
            graph.add_membership(group, member);
        }
        graph
    }

    fn render(found: &[(GroupId, Vec<GroupId>)]) -> Vec<String> {
        found
            .iter()
            .map(|(group, chain)| format!("{group}: {}", chain.join(">")))
            .collect()
    }

    #[test]
    fn groups_of_walks_memberships_transitively_with_the_shortest_chain() {
        // (name, memberships as (group, member), member asked about, expected "group: chain")
        let cases: &[(&str, Memberships, &str, &[&str])] = &[
            ("no groups", &[], "ann", &[]),
            ("one direct group", &[("eng", "ann")], "ann", &["eng: eng"]),
            (
                "two direct groups in id order",
                &[("ops", "ann"), ("eng", "ann")],
                "ann",
                &["eng: eng", "ops: ops"],
            ),
            (
                "nested three deep",
                &[("backend", "ann"), ("eng", "backend"), ("staff", "eng")],
                "ann",
                &[
                    "backend: backend",
                    "eng: backend>eng",
                    "staff: backend>eng>staff",
                ],
            ),
            (
                "shortest chain wins over a longer one",
                &[
                    ("backend", "ann"),
                    ("eng", "backend"),
                    ("staff", "eng"),
                    ("staff", "ann"),
                ],
                "ann",
                &["backend: backend", "staff: staff", "eng: backend>eng"],
            ),
            (
                "of two equal chains the one through the smaller id",
                &[("b", "ann"), ("a", "ann"), ("top", "b"), ("top", "a")],
                "ann",
                &["a: a", "b: b", "top: a>top"],
            ),
            (
                "terminates on a cycle of groups",
                &[("x", "ann"), ("y", "x"), ("x", "y")],
                "ann",
                &["x: x", "y: x>y"],
            ),
            (
                "a group in a cycle is not its own member",
                &[("y", "x"), ("z", "y"), ("x", "z")],
                "x",
                &["y: y", "z: y>z"],
            ),
            (
                "a group that contains itself directly",
                &[("x", "x"), ("x", "ann")],
                "ann",
                &["x: x"],
            ),
            (
                "other members do not matter",
                &[("eng", "bob"), ("ops", "eng")],
                "ann",
                &[],
            ),
        ];
        for (name, memberships, member, expected) in cases {
            let graph = graph(memberships);
            assert_eq!(render(&graph.groups_of(member)), *expected, "{name}");
            let mut ids: Vec<&str> = graph.group_ids_of(member).into_iter().collect();
            ids.sort_unstable();
            let found = graph.groups_of(member);
            let mut expected_ids: Vec<&str> =
                found.iter().map(|(group, _)| group.as_str()).collect();
            expected_ids.sort_unstable();
            assert_eq!(ids, expected_ids, "{name}: group_ids_of");
        }
    }

    #[test]
    fn check_nesting_refuses_a_cycle_and_names_it() {
        // (name, memberships, group, would-be member group, expected loop or None if allowed)
        let cases: &[(&str, Memberships, &str, &str, Option<Chain>)] = &[
            ("unrelated groups", &[], "eng", "backend", None),
            ("itself", &[], "eng", "eng", Some(&["eng", "eng"])),
            (
                "its own parent",
                &[("eng", "backend")],
                "backend",
                "eng",
                Some(&["eng", "backend", "eng"]),
            ),
            (
                "three deep",
                &[("b", "a"), ("c", "b")],
                "a",
                "c",
                Some(&["c", "a", "b", "c"]),
            ),
            (
                "already nested the same way",
                &[("eng", "backend")],
                "eng",
                "backend",
                None,
            ),
            (
                "a sibling is fine",
                &[("staff", "eng"), ("staff", "ops")],
                "eng",
                "ops",
                None,
            ),
            (
                "the user's side does not matter",
                &[("eng", "ann"), ("ops", "ann")],
                "eng",
                "ops",
                None,
            ),
        ];
        for (name, memberships, group, member_group, expected) in cases {
            let result = graph(memberships).check_nesting(group, member_group);
            let expected = expected.map(|chain| MembershipError::Cycle {
                chain: chain.iter().map(|id| id.to_string()).collect(),
            });
            assert_eq!(result.err(), expected, "{name}");
        }
    }

    #[test]
    fn the_cycle_error_reads_as_a_loop() {
        let error = graph(&[("eng", "backend")])
            .check_nesting("backend", "eng")
            .err();
        assert_eq!(
            error.map(|error| error.to_string()).as_deref(),
            Some("a group cannot contain itself: eng → backend → eng")
        );
    }

    #[test]
    fn check_member_refuses_the_group_itself_only() {
        // (group, member, expected error text or None if allowed)
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("eng", "ann", None),
            ("eng", "backend", None),
            ("eng", "eng", Some("group eng cannot be its own member")),
            ("eng", "ENG", None),
            ("eng", "", None),
        ];
        for (group, member, expected) in cases {
            let result = check_member(group, member).err();
            assert_eq!(
                result.map(|error| error.to_string()).as_deref(),
                *expected,
                "{group} ∋ {member}"
            );
        }
    }

    #[test]
    fn memberships_can_be_removed() {
        let mut graph = graph(&[("eng", "ann"), ("eng", "ann"), ("ops", "ann")]);
        assert_eq!(graph.parents["ann"], vec!["eng", "ops"]);
        graph.remove_membership("eng", "ann");
        graph.remove_membership("ops", "ann");
        assert!(graph.groups_of("ann").is_empty());
        assert!(graph.parents.is_empty());
    }
}
