//! The rules of PRODUCT.md §4 as a table. Each case is a small world written one fact per
//! line, a resource asked about for the user `ann`, and the explanation expected, written
//! as its contributions in order with the winner starred:
//!
//! - `member GROUP MEMBER`: MEMBER (a user or a group) is a direct member of GROUP; every
//!   group's displayName is its id;
//! - `grant ID user|group PRINCIPAL ROLE RESOURCE [expired]`;
//! - `rule ID GROUP_GLOB WORKSPACE_GLOB ROLE`;
//! - `attr_rule ID WORKSPACE_GLOB ROLE`: an attribute rule (its filter is not read here);
//! - `matches RULE ATTRIBUTE`: ann matches the attribute rule RULE through ATTRIBUTE;
//! - `workspace NAME` (default `department_eng`), `owner` (ann owns the org), `inactive`.
//!
//! Resources: `ws` (workspace `ws`), `home` (its Home folder), `open` (`everyone:editor`),
//! `participants` (`everyone:participant`), `viewers` (`everyone:viewer`), `private`
//! (invite-only).
//!
//! Contributions: `direct:ID`, `group:ID via A>B`, `rule:ID via A`, `attr:ID by ATTRIBUTE`,
//! `team:TEAM_ACCESS(ROLE)`
//! (ROLE: the workspace role it caps), `org_owner`, each followed by `=ROLE` and prefixed by
//! `*` for the winner; no contributions: `-`.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;
use crate::grant::GrantSource;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

struct World {
    groups: GroupGraph,
    workspace: Workspace,
    folders: Vec<Folder>,
    grants: Vec<Grant>,
    rules: Vec<Rule>,
    matches: Vec<AttributeMatch>,
    active: bool,
    org_owner: bool,
}

fn folder(id: &str, team_access: TeamAccess) -> Folder {
    Folder {
        id: id.to_owned(),
        workspace_id: "ws".to_owned(),
        name: id.to_owned(),
        team_access,
    }
}

fn resource(name: &str) -> ResourceRef {
    match name {
        "ws" => ResourceRef::Workspace("ws".to_owned()),
        other => ResourceRef::Folder(other.to_owned()),
    }
}

fn world(facts: &[&str]) -> World {
    let mut world = World {
        groups: GroupGraph::new(),
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
        grants: Vec::new(),
        rules: Vec::new(),
        matches: Vec::new(),
        active: true,
        org_owner: false,
    };
    for fact in facts {
        let words: Vec<&str> = fact.split_whitespace().collect();
        match words.as_slice() {
            ["member", group, member] => {
                world.groups.add_membership(group, member);
                world.groups.set_name(group, group);
            }
            ["grant", id, kind, principal, role, on, rest @ ..] => {
                let principal = match *kind {
                    "user" => Principal::User(principal.to_string()),
                    "group" => Principal::Group(principal.to_string()),
                    other => panic!("bad principal kind {other} in {fact:?}"),
                };
                let expires_at = match rest {
                    [] => None,
                    ["expired"] => Some(now() - Duration::seconds(1)),
                    ["expires"] => Some(now() + Duration::seconds(1)),
                    _ => panic!("bad grant {fact:?}"),
                };
                world.grants.push(Grant {
                    id: id.to_string(),
                    principal,
                    resource: resource(on),
                    role: Role::parse(role).unwrap_or_else(|error| panic!("{error}")),
                    source: GrantSource::Manual { by: None },
                    expires_at,
                    created_at: now() - Duration::days(1),
                });
            }
            ["rule", id, group, workspaces, role] => world.rules.push(Rule {
                id: id.to_string(),
                ..Rule::for_groups(
                    group,
                    workspaces,
                    Role::parse(role).unwrap_or_else(|error| panic!("{error}")),
                )
            }),
            ["attr_rule", id, workspaces, role] => world.rules.push(Rule {
                id: id.to_string(),
                ..Rule::for_filter(
                    "title pr",
                    workspaces,
                    Role::parse(role).unwrap_or_else(|error| panic!("{error}")),
                )
            }),
            ["matches", rule, attribute] => world.matches.push(AttributeMatch {
                rule_id: rule.to_string(),
                attribute: attribute.to_string(),
            }),
            ["workspace", name] => world.workspace.name = name.to_string(),
            ["owner"] => world.org_owner = true,
            ["inactive"] => world.active = false,
            _ => panic!("bad fact {fact:?}"),
        }
    }
    world
}

impl World {
    fn input<'a>(&'a self, user_id: &'a str, on: &str) -> AccessInput<'a> {
        AccessInput {
            user_id,
            active: self.active,
            org_owner: self.org_owner,
            groups: &self.groups,
            workspace: &self.workspace,
            folder: match on {
                "ws" => None,
                name => Some(
                    self.folders
                        .iter()
                        .find(|folder| folder.id == name)
                        .unwrap_or_else(|| panic!("no folder {name}")),
                ),
            },
            grants: &self.grants,
            rules: &self.rules,
            attribute_matches: &self.matches,
            now: now(),
        }
    }
}

fn render(explanation: &Explanation) -> String {
    if explanation.contributions.is_empty() {
        return "-".to_owned();
    }
    let rendered: Vec<String> = explanation
        .contributions
        .iter()
        .map(|contribution| {
            let what = match &contribution.kind {
                ContributionKind::Direct { grant_id } => format!("direct:{grant_id}"),
                ContributionKind::Group {
                    grant_id, chain, ..
                } => format!("group:{grant_id} via {}", chain.join(">")),
                ContributionKind::Rule { rule_id, chain, .. } => {
                    format!("rule:{rule_id} via {}", chain.join(">"))
                }
                ContributionKind::AttributeRule { rule_id, attribute } => {
                    format!("attr:{rule_id} by {attribute}")
                }
                ContributionKind::TeamAccess {
                    team_access,
                    workspace_role,
                } => format!("team:{team_access}({workspace_role})"),
                ContributionKind::OrgOwner => "org_owner".to_owned(),
            };
            let star = if contribution.winner { "*" } else { "" };
            format!("{star}{what}={}", contribution.role)
        })
        .collect();
    rendered.join(" ")
}

/// Asks about `ann` on `on` and checks the role, the explanation, that `effective_role`
/// and `who_has_access` agree, and that exactly one contribution wins when there is a role.
fn check(name: &str, facts: &[&str], on: &str, role: Option<Role>, expected: &str) {
    let world = world(facts);
    let input = world.input("ann", on);
    let explanation = explain(&input);
    assert_eq!(render(&explanation), expected, "{name}: explanation");
    assert_eq!(explanation.role, role, "{name}: role");
    assert_eq!(effective_role(&input), role, "{name}: effective_role");
    let winners = explanation
        .contributions
        .iter()
        .filter(|c| c.winner)
        .count();
    assert_eq!(winners, usize::from(role.is_some()), "{name}: winners");
    assert_eq!(explanation.winner().map(|c| c.role), role, "{name}: winner");
    let reverse = who_has_access(
        [Candidate {
            user_id: "ann",
            active: world.active,
            org_owner: world.org_owner,
            attribute_matches: &world.matches,
        }],
        &world.groups,
        &world.workspace,
        input.folder,
        &world.grants,
        &world.rules,
        now(),
    );
    let expected_reverse: Vec<(String, Role)> = role
        .map(|role| ("ann".to_owned(), role))
        .into_iter()
        .collect();
    assert_eq!(reverse, expected_reverse, "{name}: who_has_access");
}

use Role::*;

/// (name, facts, resource asked about, expected role, expected explanation)
type Case = (
    &'static str,
    &'static [&'static str],
    &'static str,
    Option<Role>,
    &'static str,
);

#[test]
fn workspace_role() {
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("no grant, no access", &[], "ws", None, "-"),
        ("a direct grant", &["grant d1 user ann editor ws"], "ws", Some(Editor), "*direct:d1=editor"),
        ("someone else's grant", &["grant d1 user bob editor ws"], "ws", None, "-"),
        ("a group grant", &["member eng ann", "grant g1 group eng editor ws"], "ws", Some(Editor), "*group:g1 via eng=editor"),
        ("a grant to a group ann is not in", &["member eng bob", "grant g1 group eng editor ws"], "ws", None, "-"),
        ("max over several groups",
            &["member eng ann", "member design ann", "member ops ann",
              "grant g1 group eng viewer ws", "grant g2 group design maintainer ws", "grant g3 group ops commenter ws"],
            "ws", Some(Maintainer),
            "*group:g2 via design=maintainer group:g3 via ops=commenter group:g1 via eng=viewer"),
        ("collaborator above commenter",
            &["member eng ann", "grant g1 group eng commenter ws", "grant d1 user ann collaborator ws"],
            "ws", Some(Collaborator), "*direct:d1=collaborator group:g1 via eng=commenter"),
        ("a direct grant below a group grant does not win",
            &["member eng ann", "grant g1 group eng editor ws", "grant d1 user ann viewer ws"],
            "ws", Some(Editor), "*group:g1 via eng=editor direct:d1=viewer"),
        ("... and survives the group's removal",
            &["grant g1 group eng editor ws", "grant d1 user ann viewer ws"],
            "ws", Some(Viewer), "*direct:d1=viewer"),
        ("nested groups three deep",
            &["member backend ann", "member eng backend", "member staff eng", "grant g1 group staff commenter ws"],
            "ws", Some(Commenter), "*group:g1 via backend>eng>staff=commenter"),
        ("the shortest chain is reported",
            &["member backend ann", "member eng backend", "member staff eng", "member staff ann",
              "grant g1 group staff commenter ws"],
            "ws", Some(Commenter), "*group:g1 via staff=commenter"),
        ("an expired grant is ignored",
            &["grant d1 user ann owner ws expired", "grant d2 user ann viewer ws"],
            "ws", Some(Viewer), "*direct:d2=viewer"),
        ("an expired group grant is ignored",
            &["member eng ann", "grant g1 group eng editor ws expired"], "ws", None, "-"),
        ("a grant not yet expired counts",
            &["grant d1 user ann maintainer ws expires"], "ws", Some(Maintainer), "*direct:d1=maintainer"),
        ("a group grant of owner in old data counts as maintainer",
            &["member eng ann", "grant g1 group eng owner ws"], "ws", Some(Maintainer), "*group:g1 via eng=maintainer"),
        ("a direct owner grant",
            &["grant d1 user ann owner ws"], "ws", Some(Owner), "*direct:d1=owner"),
        ("org owners own every workspace",
            &["owner", "grant d1 user ann viewer ws"], "ws", Some(Owner), "*org_owner=owner direct:d1=viewer"),
        ("a direct owner grant beats org ownership in the tie-break",
            &["owner", "grant d1 user ann owner ws"], "ws", Some(Owner), "*direct:d1=owner org_owner=owner"),
        ("equal roles: direct before group before rule",
            &["member eng ann", "rule r1 eng * editor", "grant g1 group eng editor ws", "grant d1 user ann editor ws"],
            "ws", Some(Editor), "*direct:d1=editor group:g1 via eng=editor rule:r1 via eng=editor"),
        ("equal roles of one kind: smallest id first",
            &["member eng ann", "member ops ann", "grant g2 group eng editor ws", "grant g1 group ops editor ws"],
            "ws", Some(Editor), "*group:g1 via ops=editor group:g2 via eng=editor"),
        ("a grant on a folder does not open the workspace",
            &["grant d1 user ann editor private", "member eng ann", "grant g1 group eng editor private"], "ws", None, "-"),
        ("a grant on the Home folder itself is not the workspace's",
            &["grant d1 user ann editor home"], "ws", None, "-"),
    ];
    for (name, facts, on, role, expected) in cases {
        check(name, facts, on, *role, expected);
    }
}

#[test]
fn rules() {
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("a rule matching the group and the workspace",
            &["member eng-backend ann", "rule r1 eng-* department_* editor"],
            "ws", Some(Editor), "*rule:r1 via eng-backend=editor"),
        ("a rule for another workspace name",
            &["member eng-backend ann", "rule r1 eng-* sales_* editor"], "ws", None, "-"),
        ("a rule for another group name",
            &["member ops ann", "rule r1 eng-* * editor"], "ws", None, "-"),
        ("a rule matches a workspace created later (evaluated on its name)",
            &["workspace department_new", "member org-admins ann", "rule r1 org-admins department_* maintainer"],
            "ws", Some(Maintainer), "*rule:r1 via org-admins=maintainer"),
        ("a rule on an enclosing group, with its chain",
            &["member backend ann", "member eng-all backend", "rule r1 eng-* * commenter"],
            "ws", Some(Commenter), "*rule:r1 via backend>eng-all=commenter"),
        ("a rule of owner counts as maintainer",
            &["member eng ann", "rule r1 eng * owner"], "ws", Some(Maintainer), "*rule:r1 via eng=maintainer"),
        ("rules give the workspace role to the Home folder",
            &["member eng ann", "rule r1 eng * editor"], "home", Some(Editor), "*rule:r1 via eng=editor"),
        ("rules reach open folders through team access",
            &["member eng ann", "rule r1 eng * maintainer"], "open", Some(Editor),
            "*team:everyone:editor(maintainer)=editor"),
        ("a rule never opens an invite-only folder",
            &["member eng ann", "rule r1 eng * maintainer"], "private", None, "-"),
        ("the max of a rule and a grant",
            &["member eng ann", "rule r1 eng * viewer", "grant d1 user ann commenter ws"],
            "ws", Some(Commenter), "*direct:d1=commenter rule:r1 via eng=viewer"),
    ];
    for (name, facts, on, role, expected) in cases {
        check(name, facts, on, *role, expected);
    }
}

#[test]
fn attribute_rules() {
    const DEPT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";
    let dept = |facts: &[&str]| -> Vec<String> {
        facts
            .iter()
            .map(|fact| fact.replace("DEPT", DEPT))
            .collect()
    };
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("a matched attribute rule on a matching workspace",
            &["attr_rule a1 department_* viewer", "matches a1 DEPT"],
            "ws", Some(Viewer), "*attr:a1 by DEPT=viewer"),
        ("an attribute rule ann does not match gives nothing",
            &["attr_rule a1 * editor"], "ws", None, "-"),
        ("a matched attribute rule for another workspace name gives nothing",
            &["attr_rule a1 sales-* editor", "matches a1 DEPT"], "ws", None, "-"),
        ("a match of a rule that does not exist counts for nothing",
            &["matches a9 DEPT"], "ws", None, "-"),
        ("a match naming a group rule counts for nothing",
            &["rule r1 eng * editor", "matches r1 title"], "ws", None, "-"),
        ("an attribute rule of owner counts as maintainer",
            &["attr_rule a1 * owner", "matches a1 title"], "ws", Some(Maintainer), "*attr:a1 by title=maintainer"),
        ("the max of an attribute rule and a direct grant, the grant winning a tie",
            &["attr_rule a1 * editor", "matches a1 title", "grant d1 user ann editor ws"],
            "ws", Some(Editor), "*direct:d1=editor attr:a1 by title=editor"),
        ("a group rule wins a tie with an attribute rule",
            &["member eng ann", "rule r1 eng * editor", "attr_rule a1 * editor", "matches a1 title"],
            "ws", Some(Editor), "*rule:r1 via eng=editor attr:a1 by title=editor"),
        ("the higher attribute rule wins",
            &["attr_rule a1 * viewer", "attr_rule a2 * maintainer", "matches a1 title", "matches a2 DEPT"],
            "ws", Some(Maintainer), "*attr:a2 by DEPT=maintainer attr:a1 by title=viewer"),
        ("attribute rules give the workspace role to the Home folder",
            &["attr_rule a1 * commenter", "matches a1 title"], "home", Some(Commenter), "*attr:a1 by title=commenter"),
        ("attribute rules reach open folders through team access, capped",
            &["attr_rule a1 * maintainer", "matches a1 title"], "participants", Some(Participant),
            "*team:everyone:participant(maintainer)=participant"),
        ("an attribute rule never opens an invite-only folder",
            &["attr_rule a1 * maintainer", "matches a1 title"], "private", None, "-"),
        ("a suspended user matching an attribute rule has nothing",
            &["attr_rule a1 * maintainer", "matches a1 title", "inactive"], "ws", None, "-"),
    ];
    for (name, facts, on, role, expected) in cases {
        check(
            name,
            &dept(facts).iter().map(String::as_str).collect::<Vec<_>>(),
            on,
            *role,
            &expected.replace("DEPT", DEPT),
        );
    }
}

#[test]
fn folder_role() {
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("the Home folder has the workspace role",
            &["grant d1 user ann collaborator ws"], "home", Some(Collaborator), "*direct:d1=collaborator"),
        ("a folder-only grant does not open Home",
            &["grant d1 user ann editor open"], "home", None, "-"),
        ("invite-only gives nothing through the workspace",
            &["grant d1 user ann maintainer ws"], "private", None, "-"),
        ("a direct grant on an invite-only folder",
            &["grant d1 user ann viewer private"], "private", Some(Viewer), "*direct:d1=viewer"),
        ("a group grant on an invite-only folder",
            &["member eng ann", "grant g1 group eng editor private"], "private", Some(Editor), "*group:g1 via eng=editor"),
        ("team access capped by the workspace role",
            &["grant d1 user ann commenter ws"], "open", Some(Commenter), "*team:everyone:editor(commenter)=commenter"),
        ("team access caps the workspace role",
            &["grant d1 user ann maintainer ws"], "open", Some(Editor), "*team:everyone:editor(maintainer)=editor"),
        ("everyone:participant",
            &["grant d1 user ann editor ws"], "participants", Some(Participant), "*team:everyone:participant(editor)=participant"),
        ("everyone:viewer",
            &["grant d1 user ann owner ws"], "viewers", Some(Viewer), "*team:everyone:viewer(owner)=viewer"),
        ("no workspace role, no team access",
            &[], "open", None, "-"),
        ("a folder grant above team access wins",
            &["grant d1 user ann viewer ws", "grant d2 user ann maintainer viewers"], "viewers", Some(Maintainer),
            "*direct:d2=maintainer team:everyone:viewer(viewer)=viewer"),
        ("team access above a folder grant wins",
            &["grant d1 user ann editor ws", "grant d2 user ann viewer open"], "open", Some(Editor),
            "*team:everyone:editor(editor)=editor direct:d2=viewer"),
        ("a folder grant ties with team access and wins the tie",
            &["grant d1 user ann editor ws", "grant d2 user ann editor open"], "open", Some(Editor),
            "*direct:d2=editor team:everyone:editor(editor)=editor"),
        ("org owners reach open folders at the team access cap",
            &["owner"], "open", Some(Editor), "*team:everyone:editor(owner)=editor"),
        ("org owners have no role on invite-only folders by ownership",
            &["owner"], "private", None, "-"),
        ("org owners own the Home folder",
            &["owner"], "home", Some(Owner), "*org_owner=owner"),
        ("a grant on another folder does not count",
            &["grant d1 user ann editor private"], "open", None, "-"),
        ("an expired folder grant is ignored",
            &["grant d1 user ann editor private expired"], "private", None, "-"),
        ("a folder grant through nested groups",
            &["member backend ann", "member eng backend", "member staff eng", "grant g1 group staff editor private"],
            "private", Some(Editor), "*group:g1 via backend>eng>staff=editor"),
    ];
    for (name, facts, on, role, expected) in cases {
        check(name, facts, on, *role, expected);
    }
}

#[test]
fn a_deactivated_user_has_no_access_anywhere() {
    let facts = [
        "inactive",
        "owner",
        "member eng ann",
        "grant d1 user ann owner ws",
        "grant d2 user ann editor private",
        "grant g1 group eng editor ws",
        "rule r1 eng * maintainer",
    ];
    for on in ["ws", "home", "open", "participants", "viewers", "private"] {
        check(&format!("inactive on {on}"), &facts, on, None, "-");
    }
}

#[test]
fn who_has_access_lists_everyone_with_a_role_sorted_by_id() {
    let world = world(&[
        "member eng ann",
        "member eng zoe",
        "member staff eng",
        "grant g1 group staff viewer ws",
        "grant d1 user bob maintainer ws",
        "grant d2 user carl editor ws expired",
        "grant d3 user dan editor open",
        "rule r1 ops * commenter",
        "member ops eve",
    ]);
    let candidates = [
        ("zoe", true, false),
        ("ann", true, false),
        ("bob", true, false),
        ("carl", true, false),
        ("dan", true, false),
        ("eve", true, false),
        ("fay", false, true),
        ("gus", true, true),
    ];
    let ask = |on: &str| {
        let input = world.input("ann", on);
        who_has_access(
            candidates
                .iter()
                .map(|(user_id, active, org_owner)| Candidate {
                    user_id,
                    active: *active,
                    org_owner: *org_owner,
                    attribute_matches: &[],
                }),
            &world.groups,
            &world.workspace,
            input.folder,
            &world.grants,
            &world.rules,
            now(),
        )
    };
    let render = |found: Vec<(String, Role)>| -> Vec<String> {
        found
            .into_iter()
            .map(|(user, role)| format!("{user}={role}"))
            .collect()
    };
    assert_eq!(
        render(ask("ws")),
        [
            "ann=viewer",
            "bob=maintainer",
            "eve=commenter",
            "gus=owner",
            "zoe=viewer"
        ]
    );
    assert_eq!(
        render(ask("open")),
        [
            "ann=viewer",
            "bob=editor",
            "dan=editor",
            "eve=commenter",
            "gus=editor",
            "zoe=viewer"
        ]
    );
    assert_eq!(render(ask("private")), Vec::<String>::new());
}

#[test]
fn a_group_granted_owner_is_refused_when_made() {
    let world = world(&[
        "grant g1 group eng owner ws",
        "grant g2 group eng maintainer ws",
        "grant d1 user ann owner ws",
        "grant g3 group eng editor open",
        "grant g4 group eng editor private",
    ]);
    let checked: Vec<Result<(), crate::GrantError>> = world
        .grants
        .iter()
        .map(|grant| {
            let folder = world.folders.iter().find(|f| f.id == grant.resource.id());
            grant.check(folder)
        })
        .collect();
    assert_eq!(
        checked,
        [
            Err(crate::GrantError::GroupOwner),
            Ok(()),
            Ok(()),
            Err(crate::GrantError::GroupOnOpenFolder),
            Ok(()),
        ]
    );
}

#[test]
fn contributions_serialize_flat_with_their_kind() {
    let world = world(&[
        "member backend ann",
        "member eng backend",
        "grant g1 group eng editor ws",
        "grant d1 user ann viewer open",
    ]);
    let explanation = explain(&world.input("ann", "open"));
    let json = serde_json::to_value(&explanation).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "role": "editor",
            "contributions": [
                {"kind": "team_access", "team_access": "everyone:editor", "workspace_role": "editor",
                 "role": "editor", "on": {"type": "folder", "id": "open"}, "winner": true},
                {"kind": "direct", "grant_id": "d1",
                 "role": "viewer", "on": {"type": "folder", "id": "open"}, "winner": false},
            ]
        })
    );
    let explanation = explain(&world.input("ann", "ws"));
    assert_eq!(
        serde_json::to_value(&explanation.contributions[0]).unwrap(),
        serde_json::json!({"kind": "group", "grant_id": "g1", "group": "eng", "chain": ["backend", "eng"],
                           "role": "editor", "on": {"type": "workspace", "id": "ws"}, "winner": true})
    );
    let owner_world = super::tests::world(&["owner"]);
    let owner = explain(&owner_world.input("ann", "ws"));
    assert_eq!(
        serde_json::to_value(&owner.contributions[0]).unwrap(),
        serde_json::json!({"kind": "org_owner", "role": "owner", "on": {"type": "workspace", "id": "ws"}, "winner": true})
    );
}
