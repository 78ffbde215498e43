//! The effective-role delta of each kind of access change, on every test database: one
//! table of cases over one fixture, each case a scope, a change and the (user, resource,
//! before, after) rows it must report, nothing more.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use org_model::{Grant, GrantSource, Principal, ResourceRef, Role, Rule, TeamAccess};
use rollcall_store::testing::TestDb;
use rollcall_store::{AccessDelta, AccessScope, FolderChange, GrantFilter, Store, StoreError, Tx};
use scim_core::patch::{MemberChange, MemberRef};
use serde_json::json;

/// Names to ids: users `ann` (in `eng`), `bob` (in `ops`), `cat` (in nothing); groups
/// `eng` (in `all`), `ops`, `all`; workspaces `sales` (`department_sales`, where `eng`
/// holds editor; folders `q3` open to everyone as viewer and `secret` invite-only) and
/// `hr` (`department_hr`, nothing granted).
struct Fixture {
    org: String,
    ids: HashMap<&'static str, String>,
    eng_grant: String,
}

impl Fixture {
    fn id(&self, name: &str) -> String {
        self.ids
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in the fixture"))
    }

    fn name_of(&self, id: &str) -> &'static str {
        self.ids
            .iter()
            .find(|(_, value)| value.as_str() == id)
            .map(|(name, _)| *name)
            .unwrap_or("?")
    }

    fn resource_name(&self, resource: &ResourceRef) -> &'static str {
        self.name_of(resource.id())
    }
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn grant(principal: Principal, resource: ResourceRef, role: Role) -> Grant {
    Grant {
        id: String::new(),
        principal,
        resource,
        role,
        source: GrantSource::Manual { by: None },
        expires_at: None,
        created_at: now(),
    }
}

fn member(id: &str) -> MemberRef {
    MemberRef {
        value: id.to_owned(),
        type_: None,
        ref_: None,
    }
}

fn fixture(store: &Store) -> Fixture {
    store
        .write(|tx| {
            let org = tx.orgs().create("Acme", now())?.id;
            let mut ids: HashMap<&'static str, String> = HashMap::new();
            for name in ["ann", "bob", "cat"] {
                let user = tx.users().create(&org, &json!({"userName": name}), now())?;
                ids.insert(name, user.id);
            }
            let group = |tx: &mut Tx<'_>, name: &str, members: Vec<&String>| {
                let members: Vec<_> = members.iter().map(|id| json!({"value": id})).collect();
                tx.groups()
                    .create(
                        &org,
                        &json!({"displayName": name, "members": members}),
                        now(),
                    )
                    .map(|stored| stored.id)
            };
            let eng = group(tx, "eng", vec![&ids["ann"]])?;
            let ops = group(tx, "ops", vec![&ids["bob"]])?;
            let all = group(tx, "all", vec![&eng])?;
            ids.insert("eng", eng);
            ids.insert("ops", ops);
            ids.insert("all", all);
            let sales = tx.workspaces().create(&org, "department_sales", now())?;
            let hr = tx.workspaces().create(&org, "department_hr", now())?;
            let q3 = tx.workspaces().create_folder(
                &org,
                &sales.id,
                "Q3",
                TeamAccess::Everyone(Role::Viewer),
                now(),
            )?;
            let secret = tx.workspaces().create_folder(
                &org,
                &sales.id,
                "Secret",
                TeamAccess::InviteOnly,
                now(),
            )?;
            let eng_grant = tx
                .grants()
                .create(
                    &org,
                    &grant(
                        Principal::Group(ids["eng"].clone()),
                        ResourceRef::Workspace(sales.id.clone()),
                        Role::Editor,
                    ),
                )?
                .id;
            ids.insert("sales", sales.id);
            ids.insert("hr", hr.id);
            ids.insert("q3", q3.id);
            ids.insert("secret", secret.id);
            Ok(Fixture {
                org,
                ids,
                eng_grant,
            })
        })
        .unwrap()
}

type Scope = fn(&Fixture) -> AccessScope;
type Change = fn(&mut Tx<'_>, &Fixture) -> Result<(), StoreError>;
type Row = (&'static str, &'static str, Option<Role>, Option<Role>);

fn user_active(tx: &mut Tx<'_>, f: &Fixture, name: &str, active: bool) -> Result<(), StoreError> {
    tx.users()
        .replace(
            &f.org,
            &f.id(name),
            &json!({"userName": name, "active": active}),
            None,
            now(),
        )
        .map(|_| ())
}

fn members(
    tx: &mut Tx<'_>,
    f: &Fixture,
    group: &str,
    change: MemberChange,
) -> Result<(), StoreError> {
    tx.members()
        .patch_group(&f.org, &f.id(group), None, &[change], None, now())
        .map(|_| ())
}

/// Rows by resource name, then user name (ids are random, so the delta's own order is not).
fn sorted(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort_by_key(|row| (row.1, row.0));
    rows
}

use Role::{Editor, Maintainer, Owner, Viewer};

#[allow(clippy::type_complexity)]
fn cases() -> Vec<(&'static str, Scope, Change, Vec<Row>)> {
    vec![
        (
            "a user grant on a workspace opens its everyone folder too",
            |f| AccessScope::Resource(ResourceRef::Workspace(f.id("sales"))),
            |tx, f| {
                let g = grant(
                    Principal::User(f.id("bob")),
                    ResourceRef::Workspace(f.id("sales")),
                    Maintainer,
                );
                tx.grants().create(&f.org, &g).map(|_| ())
            },
            vec![
                ("bob", "q3", None, Some(Viewer)),
                ("bob", "sales", None, Some(Maintainer)),
            ],
        ),
        (
            "a grant deleted",
            |f| AccessScope::Resource(ResourceRef::Workspace(f.id("sales"))),
            |tx, f| tx.grants().delete(&f.org, &f.eng_grant, now()),
            vec![
                ("ann", "q3", Some(Viewer), None),
                ("ann", "sales", Some(Editor), None),
            ],
        ),
        (
            "a grant that changes nobody's role",
            |f| AccessScope::Resource(ResourceRef::Workspace(f.id("sales"))),
            |tx, f| {
                let g = grant(
                    Principal::User(f.id("ann")),
                    ResourceRef::Workspace(f.id("sales")),
                    Viewer,
                );
                tx.grants().create(&f.org, &g).map(|_| ())
            },
            vec![],
        ),
        (
            "a folder grant",
            |f| AccessScope::Resource(ResourceRef::Folder(f.id("secret"))),
            |tx, f| {
                let g = grant(
                    Principal::Group(f.id("ops")),
                    ResourceRef::Folder(f.id("secret")),
                    Editor,
                );
                tx.grants().create(&f.org, &g).map(|_| ())
            },
            vec![("bob", "secret", None, Some(Editor))],
        ),
        (
            "a rule created matches a group and workspaces",
            |_| AccessScope::WorkspacesMatching("department_*".into()),
            |tx, f| {
                let rule = Rule::for_groups("op*", "department_*", Maintainer);
                tx.rules().create(&f.org, &rule, now()).map(|_| ())
            },
            vec![
                ("bob", "hr", None, Some(Maintainer)),
                ("bob", "q3", None, Some(Viewer)),
                ("bob", "sales", None, Some(Maintainer)),
            ],
        ),
        (
            "a folder opened wider",
            |f| AccessScope::Resource(ResourceRef::Folder(f.id("q3"))),
            |tx, f| {
                let change = FolderChange {
                    name: None,
                    team_access: Some(TeamAccess::Everyone(Editor)),
                };
                tx.workspaces()
                    .update_folder(&f.org, &f.id("q3"), &change)
                    .map(|_| ())
            },
            vec![("ann", "q3", Some(Viewer), Some(Editor))],
        ),
        (
            "a folder closed",
            |f| AccessScope::Resource(ResourceRef::Folder(f.id("q3"))),
            |tx, f| {
                let change = FolderChange {
                    name: None,
                    team_access: Some(TeamAccess::InviteOnly),
                };
                tx.workspaces()
                    .update_folder(&f.org, &f.id("q3"), &change)
                    .map(|_| ())
            },
            vec![("ann", "q3", Some(Viewer), None)],
        ),
        (
            "a workspace deleted",
            |f| AccessScope::Workspace(f.id("sales")),
            |tx, f| tx.workspaces().delete(&f.org, &f.id("sales")),
            vec![
                ("ann", "q3", Some(Viewer), None),
                ("ann", "sales", Some(Editor), None),
            ],
        ),
        (
            "an org owner named",
            |f| AccessScope::OrgOwners(vec![f.id("cat")]),
            |tx, f| {
                let mut settings = tx.orgs().settings(&f.org)?;
                settings.owners = vec![f.id("cat")];
                tx.orgs().set_settings(&f.org, &settings)
            },
            vec![
                ("cat", "hr", None, Some(Owner)),
                ("cat", "q3", None, Some(Viewer)),
                ("cat", "sales", None, Some(Owner)),
            ],
        ),
        (
            "a member added to a granted group",
            |f| AccessScope::GroupMembers {
                group: f.id("eng"),
                members: Some(vec![f.id("bob")]),
            },
            |tx, f| members(tx, f, "eng", MemberChange::Add(vec![member(&f.id("bob"))])),
            vec![
                ("bob", "q3", None, Some(Viewer)),
                ("bob", "sales", None, Some(Editor)),
            ],
        ),
        (
            "a member removed",
            |f| AccessScope::GroupMembers {
                group: f.id("eng"),
                members: Some(vec![f.id("ann")]),
            },
            |tx, f| members(tx, f, "eng", MemberChange::Remove(vec![f.id("ann")])),
            vec![
                ("ann", "q3", Some(Viewer), None),
                ("ann", "sales", Some(Editor), None),
            ],
        ),
        (
            "every member removed",
            |f| AccessScope::GroupMembers {
                group: f.id("eng"),
                members: None,
            },
            |tx, f| members(tx, f, "eng", MemberChange::RemoveAll),
            vec![
                ("ann", "q3", Some(Viewer), None),
                ("ann", "sales", Some(Editor), None),
            ],
        ),
        (
            "a nested group added brings its users",
            |f| AccessScope::GroupMembers {
                group: f.id("eng"),
                members: Some(vec![f.id("ops")]),
            },
            |tx, f| members(tx, f, "eng", MemberChange::Add(vec![member(&f.id("ops"))])),
            vec![
                ("bob", "q3", None, Some(Viewer)),
                ("bob", "sales", None, Some(Editor)),
            ],
        ),
        (
            "a member added to a group whose parent holds the grant",
            |f| AccessScope::GroupMembers {
                group: f.id("ops"),
                members: Some(vec![f.id("ops")]),
            },
            |tx, f| {
                // ops goes into eng, so cat, added to ops, reaches sales through eng.
                members(tx, f, "eng", MemberChange::Add(vec![member(&f.id("ops"))]))?;
                members(tx, f, "ops", MemberChange::Add(vec![member(&f.id("cat"))]))
            },
            // The scope was read before ops was in eng: ops reached nothing then.
            vec![],
        ),
        (
            "a member added to an ungranted group changes nothing",
            |f| AccessScope::GroupMembers {
                group: f.id("ops"),
                members: Some(vec![f.id("cat")]),
            },
            |tx, f| members(tx, f, "ops", MemberChange::Add(vec![member(&f.id("cat"))])),
            vec![],
        ),
        (
            "a granted group deleted",
            |f| AccessScope::GroupMembers {
                group: f.id("eng"),
                members: None,
            },
            |tx, f| tx.groups().delete(&f.org, &f.id("eng"), None, Utc::now()),
            vec![
                ("ann", "q3", Some(Viewer), None),
                ("ann", "sales", Some(Editor), None),
            ],
        ),
        (
            "a user suspended",
            |f| AccessScope::Users(vec![f.id("ann")]),
            |tx, f| user_active(tx, f, "ann", false),
            vec![
                ("ann", "q3", Some(Viewer), None),
                ("ann", "sales", Some(Editor), None),
            ],
        ),
        (
            "a user deleted",
            |f| AccessScope::Users(vec![f.id("ann")]),
            |tx, f| tx.users().delete(&f.org, &f.id("ann"), None, Utc::now()),
            vec![
                ("ann", "q3", Some(Viewer), None),
                ("ann", "sales", Some(Editor), None),
            ],
        ),
    ]
}

#[test]
fn each_change_reports_exactly_the_roles_it_changed() {
    for db in TestDb::all() {
        for (name, scope, change, expected) in cases() {
            let store = db.open();
            let f = fixture(&store);
            let got: Vec<Row> = store
                .write(|tx| {
                    let delta = AccessDelta::before(tx, &f.org, scope(&f), now())?;
                    change(tx, &f)?;
                    delta.after(tx, now())
                })
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        f.name_of(&c.user),
                        f.resource_name(&c.resource),
                        c.before,
                        c.after,
                    )
                })
                .collect();
            let got = sorted(got);
            assert_eq!(got, expected, "{name} on {:?}", db.backend());
        }
    }
}

#[test]
fn reactivation_restores_the_roles() {
    for db in TestDb::all() {
        let store = db.open();
        let f = fixture(&store);
        store.write(|tx| user_active(tx, &f, "ann", false)).unwrap();
        let got = store
            .write(|tx| {
                let delta =
                    AccessDelta::before(tx, &f.org, AccessScope::Users(vec![f.id("ann")]), now())?;
                user_active(tx, &f, "ann", true)?;
                delta.after(tx, now())
            })
            .unwrap();
        let got: Vec<Row> = got
            .iter()
            .map(|c| {
                (
                    f.name_of(&c.user),
                    f.resource_name(&c.resource),
                    c.before,
                    c.after,
                )
            })
            .collect();
        let got = sorted(got);
        assert_eq!(
            got,
            vec![
                ("ann", "q3", None, Some(Viewer)),
                ("ann", "sales", None, Some(Editor)),
            ],
            "{:?}",
            db.backend()
        );
    }
}

#[test]
fn a_group_without_grants_or_rules_needs_nothing_read() {
    for db in TestDb::all() {
        let store = db.open();
        let f = fixture(&store);
        let trivial = store
            .write(|tx| {
                let scope = AccessScope::GroupMembers {
                    group: f.id("ops"),
                    members: Some(vec![f.id("cat")]),
                };
                Ok(AccessDelta::before(tx, &f.org, scope, now())?.is_trivial())
            })
            .unwrap();
        assert!(trivial, "{:?}", db.backend());
        // A rule that matches `all` (eng's parent) makes eng's membership count.
        store
            .write(|tx| {
                let rule = Rule::for_groups("all", "department_hr", Viewer);
                tx.rules().create(&f.org, &rule, now()).map(|_| ())
            })
            .unwrap();
        let got = store
            .write(|tx| {
                let scope = AccessScope::GroupMembers {
                    group: f.id("eng"),
                    members: Some(vec![f.id("cat")]),
                };
                let ops_scope = AccessScope::GroupMembers {
                    group: f.id("ops"),
                    members: Some(vec![f.id("cat")]),
                };
                assert!(AccessDelta::before(tx, &f.org, ops_scope, now())?.is_trivial());
                let delta = AccessDelta::before(tx, &f.org, scope, now())?;
                members(tx, &f, "eng", MemberChange::Add(vec![member(&f.id("cat"))]))?;
                delta.after(tx, now())
            })
            .unwrap();
        let got: Vec<Row> = got
            .iter()
            .map(|c| {
                (
                    f.name_of(&c.user),
                    f.resource_name(&c.resource),
                    c.before,
                    c.after,
                )
            })
            .collect();
        let got = sorted(got);
        assert_eq!(
            got,
            vec![
                ("cat", "hr", None, Some(Viewer)),
                ("cat", "q3", None, Some(Viewer)),
                ("cat", "sales", None, Some(Editor)),
            ],
            "{:?}",
            db.backend()
        );
        let grants = store
            .read(|tx| tx.grants().list(&f.org, &GrantFilter::default()))
            .unwrap();
        assert_eq!(grants.len(), 1);
    }
}

#[test]
fn a_thousand_members_added_to_a_granted_group() {
    for db in TestDb::all() {
        let store = db.open();
        let f = fixture(&store);
        let ids: Vec<String> = store
            .write(|tx| {
                (0..1000)
                    .map(|i| {
                        tx.users()
                            .create(&f.org, &json!({"userName": format!("user{i}")}), now())
                            .map(|stored| stored.id)
                    })
                    .collect()
            })
            .unwrap();
        let started = std::time::Instant::now();
        let changes = store
            .write(|tx| {
                let scope = AccessScope::GroupMembers {
                    group: f.id("eng"),
                    members: Some(ids.clone()),
                };
                let delta = AccessDelta::before(tx, &f.org, scope, now())?;
                let refs = ids.iter().map(|id| member(id)).collect();
                members(tx, &f, "eng", MemberChange::Add(refs))?;
                delta.after(tx, now())
            })
            .unwrap();
        let elapsed = started.elapsed();
        // Each new member: editor on sales, viewer on q3.
        assert_eq!(changes.len(), 2000, "{:?}", db.backend());
        // Generous (debug build, shared machine); the release figure is the benchmark's.
        assert!(
            elapsed < std::time::Duration::from_secs(5),
            "{elapsed:?} on {:?}",
            db.backend()
        );
    }
}

#[test]
fn a_new_group_whose_name_a_rule_matches_gives_its_members_roles() {
    for db in TestDb::all() {
        let store = db.open();
        let f = fixture(&store);
        let got = store
            .write(|tx| {
                let rule = Rule::for_groups("new*", "department_h*", Editor);
                tx.rules().create(&f.org, &rule, now())?;
                let scope = AccessScope::NewGroup {
                    display_name: "newbies".into(),
                    members: vec![f.id("cat")],
                };
                let delta = AccessDelta::before(tx, &f.org, scope, now())?;
                tx.groups().create(
                    &f.org,
                    &json!({"displayName": "newbies", "members": [{"value": f.id("cat")}]}),
                    now(),
                )?;
                delta.after(tx, now())
            })
            .unwrap();
        let got: Vec<Row> = got
            .iter()
            .map(|c| {
                (
                    f.name_of(&c.user),
                    f.resource_name(&c.resource),
                    c.before,
                    c.after,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![("cat", "hr", None, Some(Editor))],
            "{:?}",
            db.backend()
        );
        let unmatched = store
            .write(|tx| {
                let scope = AccessScope::NewGroup {
                    display_name: "old-timers".into(),
                    members: vec![f.id("cat")],
                };
                Ok(AccessDelta::before(tx, &f.org, scope, now())?.is_trivial())
            })
            .unwrap();
        assert!(unmatched);
    }
}

/// The delta of adding (or removing) user `user` to group `group`, in its own transaction.
fn membership(store: &Store, f: &Fixture, group: &str, user: &str, add: bool) -> Vec<Row> {
    let changes = store
        .write(|tx| {
            let scope = AccessScope::GroupMembers {
                group: f.id(group),
                members: Some(vec![f.id(user)]),
            };
            let delta = AccessDelta::before(tx, &f.org, scope, now())?;
            let change = if add {
                MemberChange::Add(vec![member(&f.id(user))])
            } else {
                MemberChange::Remove(vec![f.id(user)])
            };
            // As a PATCH does it: the write's net effect on the members goes to the delta.
            let (_, net) = tx.members().patch_group_with_delta(
                &f.org,
                &f.id(group),
                None,
                &[change],
                None,
                now(),
            )?;
            delta.after_group_patch(tx, now(), &net)
        })
        .unwrap();
    sorted(
        changes
            .iter()
            .map(|c| {
                (
                    f.name_of(&c.user),
                    f.resource_name(&c.resource),
                    c.before,
                    c.after,
                )
            })
            .collect(),
    )
}

/// Through `store`: ops holds viewer on hr.
fn grant_ops_viewer_on_hr(store: &Store, f: &Fixture) {
    store
        .write(|tx| {
            tx.grants()
                .create(
                    &f.org,
                    &grant(
                        Principal::Group(f.id("ops")),
                        ResourceRef::Workspace(f.id("hr")),
                        Viewer,
                    ),
                )
                .map(|_| ())
        })
        .unwrap();
}

/// Through `store`: groups named op* are viewers on department_sales.
fn rule_op_viewers_on_sales(store: &Store, f: &Fixture) {
    store
        .write(|tx| {
            tx.rules()
                .create(
                    &f.org,
                    &Rule::for_groups("op*", "department_sales", Viewer),
                    now(),
                )
                .map(|_| ())
        })
        .unwrap();
}

/// Membership deltas are worked out from the store's cached access facts; each change to
/// those facts, made in its own transaction between two membership changes, must show in
/// the next delta. (Debug builds also check every cached delta against one read from the
/// database, so a stale cache fails loudly here.)
#[test]
fn cached_access_facts_follow_every_change_to_them() {
    for db in TestDb::all() {
        let store = db.open();
        let f = fixture(&store);
        let on = |what: &str| format!("{what} on {:?}", db.backend());
        // ops holds nothing: nothing changes, and the facts are now cached.
        assert_eq!(
            membership(&store, &f, "ops", "cat", true),
            vec![],
            "{}",
            on("no grant")
        );
        // A grant to ops.
        grant_ops_viewer_on_hr(&store, &f);
        assert_eq!(
            membership(&store, &f, "ops", "cat", false),
            vec![("cat", "hr", Some(Viewer), None)],
            "{}",
            on("grant to the group")
        );
        // ops nested in all, which holds maintainer on hr.
        store
            .write(|tx| {
                tx.grants().create(
                    &f.org,
                    &grant(
                        Principal::Group(f.id("all")),
                        ResourceRef::Workspace(f.id("hr")),
                        Maintainer,
                    ),
                )?;
                members(tx, &f, "all", MemberChange::Add(vec![member(&f.id("ops"))]))
            })
            .unwrap();
        assert_eq!(
            membership(&store, &f, "ops", "cat", true),
            vec![("cat", "hr", None, Some(Maintainer))],
            "{}",
            on("group nested in a granted group")
        );
        // A rule for groups named op* on department_sales.
        rule_op_viewers_on_sales(&store, &f);
        let removed = membership(&store, &f, "ops", "cat", false);
        assert!(
            removed.contains(&("cat", "sales", Some(Viewer), None)),
            "{}: {removed:?}",
            on("rule")
        );
        // The workspace renamed out of the rule's reach.
        store
            .write(|tx| {
                tx.workspaces()
                    .rename(&f.org, &f.id("sales"), "archive")
                    .map(|_| ())
            })
            .unwrap();
        let added = membership(&store, &f, "ops", "cat", true);
        assert!(
            !added.iter().any(|row| row.1 == "sales"),
            "{}: {added:?}",
            on("workspace renamed")
        );
        // The group renamed out of the rule's reach, the workspace back into it.
        store
            .write(|tx| {
                tx.workspaces()
                    .rename(&f.org, &f.id("sales"), "department_sales")?;
                tx.members()
                    .patch_group(
                        &f.org,
                        &f.id("ops"),
                        Some(&json!({"displayName": "support"})),
                        &[],
                        None,
                        now(),
                    )
                    .map(|_| ())
            })
            .unwrap();
        let removed = membership(&store, &f, "ops", "cat", false);
        assert!(
            !removed.iter().any(|row| row.1 == "sales"),
            "{}: {removed:?}",
            on("group renamed")
        );
        // cat made an org owner: owner everywhere, before and after.
        store
            .write(|tx| {
                let mut settings = tx.orgs().settings(&f.org)?;
                settings.owners = vec![f.id("cat")];
                tx.orgs().set_settings(&f.org, &settings)
            })
            .unwrap();
        assert_eq!(
            membership(&store, &f, "ops", "cat", true),
            vec![],
            "{}",
            on("org owner")
        );
        // A folder opened to everyone as editor in hr: cat, maintainer of hr through all,
        // now owner; dropping ownership shows the folder's role too.
        store
            .write(|tx| {
                let mut settings = tx.orgs().settings(&f.org)?;
                settings.owners = vec![];
                tx.orgs().set_settings(&f.org, &settings)?;
                tx.workspaces()
                    .create_folder(
                        &f.org,
                        &f.id("hr"),
                        "Plans",
                        TeamAccess::Everyone(Editor),
                        now(),
                    )
                    .map(|_| ())
            })
            .unwrap();
        let removed = membership(&store, &f, "ops", "cat", false);
        assert!(
            removed.contains(&("cat", "hr", Some(Maintainer), None)) && removed.len() == 2,
            "{}: {removed:?}",
            on("new open folder")
        );
    }
}

/// Two instances on one database, each with its own cache of access facts: a change to the
/// facts made through one shows in the very next membership delta worked out by the other
/// (each use checks the organization's facts version in its own transaction).
#[test]
fn cached_access_facts_follow_changes_made_by_another_instance() {
    for db in TestDb::all() {
        let (first, second) = (db.open(), db.open());
        let f = fixture(&first);
        let on = |what: &str| format!("{what} on {:?}", db.backend());
        // The first instance caches the facts: ops can give no role yet.
        assert_eq!(
            membership(&first, &f, "ops", "cat", true),
            vec![],
            "{}",
            on("no grant")
        );
        // The second grants ops viewer on hr; the first's next delta shows it.
        grant_ops_viewer_on_hr(&second, &f);
        assert_eq!(
            membership(&first, &f, "ops", "cat", false),
            vec![("cat", "hr", Some(Viewer), None)],
            "{}",
            on("a grant made by the other instance")
        );
        // The second adds a rule the first must now apply.
        rule_op_viewers_on_sales(&second, &f);
        let added = membership(&first, &f, "ops", "cat", true);
        assert!(
            added.contains(&("cat", "sales", None, Some(Viewer))),
            "{}: {added:?}",
            on("a rule made by the other instance")
        );
    }
}
