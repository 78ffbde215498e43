//! Properties of the resolver over small random organizations (four users, five groups that
//! may nest and even form cycles, grants of every kind on a workspace and its folders,
//! expired or not, group rules and attribute rules with the users who match them): adding a
//! grant, a membership, a rule or a user's match of an attribute rule never lowers anyone's
//! effective role; the answer does not depend on the order of grants, rules, memberships or
//! matches; `effective_role`, `explain` and `who_has_access` agree.

use chrono::{DateTime, Duration, TimeZone, Utc};
use org_model::{
    AccessInput, AttributeMatch, Candidate, Folder, Grant, GrantSource, GroupGraph, Principal,
    ResourceRef, Role, Rule, TeamAccess, Workspace, effective_role, explain, who_has_access,
};
use proptest::prelude::*;

const USERS: [&str; 4] = ["u0", "u1", "u2", "u3"];
const GROUPS: [(&str, &str); 5] = [
    ("g0", "eng-backend"),
    ("g1", "eng-all"),
    ("g2", "ops"),
    ("g3", "staff"),
    ("g4", "design"),
];
/// `None`: the workspace; otherwise a folder id.
const RESOURCES: [Option<&str>; 6] = [
    None,
    Some("home"),
    Some("open"),
    Some("participants"),
    Some("viewers"),
    Some("private"),
];
const GROUP_GLOBS: [&str; 5] = ["eng-*", "ops", "*", "st?ff", "nobody"];
const WORKSPACE_GLOBS: [&str; 3] = ["department_*", "*", "sales_*"];
const ATTRIBUTES: [&str; 2] = [
    "title",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

#[derive(Debug, Clone)]
enum Member {
    User(usize),
    Group(usize),
}

#[derive(Debug, Clone)]
struct Org {
    users: Vec<(bool, bool)>, // (active, org owner) per user
    memberships: Vec<(usize, Member)>,
    grants: Vec<Grant>,
    rules: Vec<Rule>,
    /// The attribute rules each user matches.
    matches: Vec<Vec<AttributeMatch>>,
}

struct Built {
    groups: GroupGraph,
    workspace: Workspace,
    folders: Vec<Folder>,
}

fn build(org: &Org) -> Built {
    let mut groups = GroupGraph::new();
    for (id, name) in GROUPS {
        groups.set_name(id, name);
    }
    for (group, member) in &org.memberships {
        let member = match member {
            Member::User(user) => USERS[*user],
            Member::Group(group) => GROUPS[*group].0,
        };
        groups.add_membership(GROUPS[*group].0, member);
    }
    let folder = |id: &str, team_access| Folder {
        id: id.to_owned(),
        workspace_id: "ws".to_owned(),
        name: id.to_owned(),
        team_access,
    };
    Built {
        groups,
        workspace: Workspace {
            id: "ws".to_owned(),
            name: "department_eng".to_owned(),
            home_folder_id: "home".to_owned(),
        },
        folders: vec![
            folder("home", TeamAccess::InviteOnly),
            folder("open", TeamAccess::Everyone(Role::Editor)),
            folder("participants", TeamAccess::Everyone(Role::Participant)),
            folder("viewers", TeamAccess::Everyone(Role::Viewer)),
            folder("private", TeamAccess::InviteOnly),
        ],
    }
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(Role::ALL.to_vec())
}

fn member() -> impl Strategy<Value = Member> {
    prop_oneof![
        (0..USERS.len()).prop_map(Member::User),
        (0..GROUPS.len()).prop_map(Member::Group),
    ]
}

fn membership() -> impl Strategy<Value = (usize, Member)> {
    (0..GROUPS.len(), member())
}

fn grant(id: String) -> impl Strategy<Value = Grant> {
    (
        member(),
        prop::sample::select(RESOURCES.to_vec()),
        role(),
        prop_oneof![Just(None), (-2i64..=2).prop_map(Some)],
    )
        .prop_map(move |(principal, on, role, expires_in)| Grant {
            id: id.clone(),
            principal: match principal {
                Member::User(user) => Principal::User(USERS[user].to_owned()),
                Member::Group(group) => Principal::Group(GROUPS[group].0.to_owned()),
            },
            resource: match on {
                None => ResourceRef::Workspace("ws".to_owned()),
                Some(folder) => ResourceRef::Folder(folder.to_owned()),
            },
            role,
            source: GrantSource::Manual { by: None },
            // expires_in = 0 expires exactly now: it no longer counts
            expires_at: expires_in.map(|minutes| now() + Duration::minutes(minutes)),
            created_at: now() - Duration::days(1),
        })
}

/// A group rule or an attribute rule (whose filter is not read: who matches it is drawn
/// separately, by [`attribute_match`]).
fn rule(id: String) -> impl Strategy<Value = Rule> {
    (
        prop::option::of(prop::sample::select(GROUP_GLOBS.to_vec())),
        prop::sample::select(WORKSPACE_GLOBS.to_vec()),
        role(),
    )
        .prop_map(move |(group, workspaces, role)| Rule {
            id: id.clone(),
            ..match group {
                Some(group) => Rule::for_groups(group, workspaces, role),
                None => Rule::for_filter("title sw \"VP\"", workspaces, role),
            }
        })
}

/// A user's match of one of the rules `rule0`… (of any kind, or none: a match of a group
/// rule or of a missing rule counts for nothing).
fn attribute_match() -> impl Strategy<Value = (usize, AttributeMatch)> {
    (
        0..USERS.len(),
        0..4usize,
        prop::sample::select(ATTRIBUTES.to_vec()),
    )
        .prop_map(|(user, rule, attribute)| {
            (
                user,
                AttributeMatch {
                    rule_id: format!("rule{rule}"),
                    attribute: attribute.to_owned(),
                },
            )
        })
}

fn org() -> impl Strategy<Value = Org> {
    (
        prop::collection::vec((prop::bool::weighted(0.85), prop::bool::weighted(0.1)), 4),
        prop::collection::vec(membership(), 0..12),
        prop::collection::vec(any::<u8>(), 0..12),
        prop::collection::vec(any::<u8>(), 0..4),
        prop::collection::vec(attribute_match(), 0..6),
    )
        .prop_flat_map(|(users, memberships, grant_slots, rule_slots, found)| {
            let grants: Vec<_> = (0..grant_slots.len())
                .map(|index| grant(format!("grant{index:02}")))
                .collect();
            let rules: Vec<_> = (0..rule_slots.len())
                .map(|index| rule(format!("rule{index}")))
                .collect();
            (Just(users), Just(memberships), grants, rules, Just(found))
        })
        .prop_map(|(users, memberships, grants, rules, found)| {
            let mut org = Org {
                users,
                memberships,
                grants,
                rules,
                matches: vec![Vec::new(); USERS.len()],
            };
            for (user, found) in found {
                org.matches[user].push(found);
            }
            org
        })
}

/// Every (user, resource) question about `org`, answered by `explain`, after checking that
/// `effective_role` and `who_has_access` agree with it and that exactly the winner's role
/// is the role.
fn answers(org: &Org) -> Vec<org_model::Explanation> {
    let built = build(org);
    let mut all = Vec::new();
    for resource in RESOURCES {
        let folder = resource.and_then(|id| built.folders.iter().find(|folder| folder.id == id));
        let mut expected_reverse = Vec::new();
        for (index, user_id) in USERS.iter().enumerate() {
            let (active, org_owner) = org.users[index];
            let input = AccessInput {
                user_id,
                active,
                org_owner,
                groups: &built.groups,
                workspace: &built.workspace,
                folder,
                grants: &org.grants,
                rules: &org.rules,
                attribute_matches: &org.matches[index],
                now: now(),
            };
            let explanation = explain(&input);
            assert_eq!(
                effective_role(&input),
                explanation.role,
                "{user_id} on {resource:?}"
            );
            let winners: Vec<Role> = explanation
                .contributions
                .iter()
                .filter(|contribution| contribution.winner)
                .map(|contribution| contribution.role)
                .collect();
            assert_eq!(winners, explanation.role.into_iter().collect::<Vec<_>>());
            assert!(
                explanation
                    .contributions
                    .iter()
                    .all(|contribution| Some(contribution.role) <= explanation.role)
            );
            if let Some(role) = explanation.role {
                expected_reverse.push((user_id.to_string(), role));
            }
            all.push(explanation);
        }
        let reverse = who_has_access(
            USERS.iter().zip(&org.users).zip(&org.matches).rev().map(
                |((user_id, (active, org_owner)), found)| Candidate {
                    user_id,
                    active: *active,
                    org_owner: *org_owner,
                    attribute_matches: found,
                },
            ),
            &built.groups,
            &built.workspace,
            folder,
            &org.grants,
            &org.rules,
            now(),
        );
        assert_eq!(reverse, expected_reverse, "who_has_access on {resource:?}");
    }
    all
}

fn roles(org: &Org) -> Vec<Option<Role>> {
    answers(org)
        .into_iter()
        .map(|explanation| explanation.role)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn adding_a_grant_never_lowers_anyones_role(org in org(), extra in grant("extra".to_owned())) {
        let before = roles(&org);
        let mut after_org = org.clone();
        after_org.grants.push(extra);
        let after = roles(&after_org);
        for (before, after) in before.iter().zip(&after) {
            prop_assert!(after >= before, "{before:?} became {after:?}");
        }
    }

    #[test]
    fn adding_a_membership_never_lowers_anyones_role(org in org(), extra in membership()) {
        let before = roles(&org);
        let mut after_org = org.clone();
        after_org.memberships.push(extra);
        let after = roles(&after_org);
        for (before, after) in before.iter().zip(&after) {
            prop_assert!(after >= before, "{before:?} became {after:?}");
        }
    }

    #[test]
    fn adding_a_rule_never_lowers_anyones_role(org in org(), extra in rule("extra".to_owned())) {
        let before = roles(&org);
        let mut after_org = org.clone();
        after_org.rules.push(extra);
        let after = roles(&after_org);
        for (before, after) in before.iter().zip(&after) {
            prop_assert!(after >= before, "{before:?} became {after:?}");
        }
    }

    #[test]
    fn matching_an_attribute_rule_never_lowers_anyones_role(
        org in org(),
        (user, extra) in attribute_match(),
    ) {
        let before = roles(&org);
        let mut after_org = org.clone();
        after_org.matches[user].push(extra);
        let after = roles(&after_org);
        for (before, after) in before.iter().zip(&after) {
            prop_assert!(after >= before, "{before:?} became {after:?}");
        }
    }

    #[test]
    fn attribute_rules_give_at_most_maintainer(org in org()) {
        let mut only_attributes = org.clone();
        only_attributes.grants.clear();
        only_attributes.memberships.clear();
        only_attributes.users.iter_mut().for_each(|(_, owner)| *owner = false);
        for role in roles(&only_attributes).into_iter().flatten() {
            prop_assert!(role <= Role::Maintainer, "{role}");
        }
    }

    #[test]
    fn the_answer_does_not_depend_on_order(
        (org, grants, rules, memberships, matches) in org().prop_flat_map(|org| {
            let grants = Just(org.grants.clone()).prop_shuffle();
            let rules = Just(org.rules.clone()).prop_shuffle();
            let memberships = Just(org.memberships.clone()).prop_shuffle();
            let matches: Vec<_> = org
                .matches
                .iter()
                .map(|found| Just(found.clone()).prop_shuffle())
                .collect();
            (Just(org), grants, rules, memberships, matches)
        })
    ) {
        let shuffled = Org { grants, rules, memberships, matches, ..org.clone() };
        prop_assert_eq!(answers(&org), answers(&shuffled));
    }
}
