//! The organization model's persistence on every test database: workspaces with their Home
//! folder, folders and team access, grants and their rules, group mapping rules, joins and
//! settings; tenant isolation; a deleted group's grants going with it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)] // tests read the wall clock

use chrono::{Duration, Utc};
use org_model::{Grant, GrantSource, OrgSettings, Principal, ResourceRef, Role, Rule, TeamAccess};
use rollcall_store::testing::TestDb;
use rollcall_store::{FolderChange, GrantFilter, HOME_FOLDER_NAME, Store, StoreError};
use serde_json::json;

struct Org {
    id: String,
    ann: String,
    eng: String,
}

fn org(store: &Store, name: &str) -> Org {
    store
        .write(|tx| {
            let now = Utc::now();
            let org = tx.orgs().create(name, now)?;
            let ann = tx
                .users()
                .create(&org.id, &json!({"userName": "ann"}), now)?;
            let eng = tx.groups().create(
                &org.id,
                &json!({"displayName": "eng-backend", "members": [{"value": ann.id}]}),
                now,
            )?;
            Ok(Org {
                id: org.id,
                ann: ann.id,
                eng: eng.id,
            })
        })
        .unwrap()
}

fn grant(principal: Principal, resource: ResourceRef, role: Role) -> Grant {
    Grant {
        id: String::new(),
        principal,
        resource,
        role,
        source: GrantSource::Manual {
            by: Some("admin-token".into()),
        },
        expires_at: None,
        created_at: Utc::now(),
    }
}

#[test]
fn workspaces_come_with_a_home_folder_and_stay_in_their_org() {
    for db in TestDb::all() {
        let store = db.open();
        let (acme, beta) = (org(&store, "Acme"), org(&store, "Beta"));
        let now = Utc::now();
        let workspace = store
            .write(|tx| tx.workspaces().create(&acme.id, "department_sales", now))
            .unwrap();
        let folders = store
            .read(|tx| tx.workspaces().folders(&acme.id, &workspace.id))
            .unwrap();
        assert_eq!(folders.len(), 1, "{:?}", db.backend());
        assert_eq!(folders[0].id, workspace.home_folder_id);
        assert_eq!(folders[0].name, HOME_FOLDER_NAME);

        let q3 = store
            .write(|tx| {
                tx.workspaces().create_folder(
                    &acme.id,
                    &workspace.id,
                    "Q3 Plans",
                    TeamAccess::Everyone(Role::Viewer),
                    now + Duration::seconds(1),
                )
            })
            .unwrap();
        let listed = store
            .read(|tx| tx.workspaces().folders(&acme.id, &workspace.id))
            .unwrap();
        assert_eq!(
            listed.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["Home", "Q3 Plans"]
        );

        // Another org sees none of it.
        for result in [
            store.read(|tx| tx.workspaces().get(&beta.id, &workspace.id).map(|_| ())),
            store.read(|tx| tx.workspaces().folder(&beta.id, &q3.id).map(|_| ())),
            store.write(|tx| tx.workspaces().delete(&beta.id, &workspace.id)),
            store.write(|tx| {
                tx.workspaces()
                    .create_folder(&beta.id, &workspace.id, "x", TeamAccess::InviteOnly, now)
                    .map(|_| ())
            }),
        ] {
            assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
        }
        assert!(
            store
                .read(|tx| tx.workspaces().list(&beta.id))
                .unwrap()
                .is_empty()
        );

        let renamed = store
            .write(|tx| {
                tx.workspaces()
                    .rename(&acme.id, &workspace.id, "department_eu")
            })
            .unwrap();
        assert_eq!(renamed.name, "department_eu");
        assert!(matches!(
            store.write(|tx| tx
                .workspaces()
                .delete_folder(&acme.id, &workspace.home_folder_id)),
            Err(StoreError::Invalid(_))
        ));
        store
            .write(|tx| tx.workspaces().delete_folder(&acme.id, &q3.id))
            .unwrap();
        store
            .write(|tx| tx.workspaces().delete(&acme.id, &workspace.id))
            .unwrap();
        assert!(matches!(
            store.read(|tx| tx.workspaces().folder(&acme.id, &workspace.home_folder_id)),
            Err(StoreError::NotFound)
        ));
    }
}

#[test]
fn grants_are_checked_listed_revoked_and_go_with_their_group() {
    for db in TestDb::all() {
        let store = db.open();
        let (acme, beta) = (org(&store, "Acme"), org(&store, "Beta"));
        let now = Utc::now();
        let (workspace, open, closed) = store
            .write(|tx| {
                let workspace = tx.workspaces().create(&acme.id, "department_sales", now)?;
                let open = tx.workspaces().create_folder(
                    &acme.id,
                    &workspace.id,
                    "Open",
                    TeamAccess::Everyone(Role::Editor),
                    now,
                )?;
                let closed = tx.workspaces().create_folder(
                    &acme.id,
                    &workspace.id,
                    "Q3 Plans",
                    TeamAccess::InviteOnly,
                    now,
                )?;
                Ok((workspace, open, closed))
            })
            .unwrap();
        let user = || Principal::User(acme.ann.clone());
        let group = || Principal::Group(acme.eng.clone());
        let on_workspace = || ResourceRef::Workspace(workspace.id.clone());
        let mut expiring = grant(
            user(),
            ResourceRef::Folder(closed.id.clone()),
            Role::Maintainer,
        );
        expiring.expires_at = Some(now + Duration::days(7));

        let direct = store
            .write(|tx| {
                tx.grants()
                    .create(&acme.id, &grant(user(), on_workspace(), Role::Commenter))
            })
            .unwrap();
        assert!(!direct.id.is_empty());
        let by_group = store
            .write(|tx| {
                tx.grants()
                    .create(&acme.id, &grant(group(), on_workspace(), Role::Editor))
            })
            .unwrap();
        let on_closed = store
            .write(|tx| {
                tx.grants().create(
                    &acme.id,
                    &grant(
                        group(),
                        ResourceRef::Folder(closed.id.clone()),
                        Role::Editor,
                    ),
                )
            })
            .unwrap();
        let elevated = store
            .write(|tx| tx.grants().create(&acme.id, &expiring))
            .unwrap();
        assert_eq!(
            store
                .read(|tx| tx.grants().get(&acme.id, &elevated.id))
                .unwrap()
                .expires_at
                .map(|t| t.timestamp()),
            expiring.expires_at.map(|t| t.timestamp())
        );

        // Refused: owner for a group, a group on an open folder, strangers.
        let refused = [
            (grant(group(), on_workspace(), Role::Owner), "invalid"),
            (
                grant(group(), ResourceRef::Folder(open.id.clone()), Role::Viewer),
                "invalid",
            ),
            (
                grant(
                    Principal::User(beta.ann.clone()),
                    on_workspace(),
                    Role::Viewer,
                ),
                "member",
            ),
            (
                grant(user(), ResourceRef::Folder("nope".into()), Role::Viewer),
                "not found",
            ),
        ];
        for (bad, expected) in refused {
            let result = store.write(|tx| tx.grants().create(&acme.id, &bad));
            let kind = match result {
                Err(StoreError::Invalid(_)) => "invalid",
                Err(StoreError::InvalidMember(_)) => "member",
                Err(StoreError::NotFound) => "not found",
                other => panic!("{bad:?}: {other:?}"),
            };
            assert_eq!(kind, expected, "{bad:?}");
        }
        // A folder with group grants cannot be opened to everyone.
        assert!(matches!(
            store.write(|tx| tx.workspaces().update_folder(
                &acme.id,
                &closed.id,
                &FolderChange {
                    name: None,
                    team_access: Some(TeamAccess::Everyone(Role::Viewer)),
                }
            )),
            Err(StoreError::Invalid(_))
        ));

        let of_group = store
            .read(|tx| {
                tx.grants().list(
                    &acme.id,
                    &GrantFilter {
                        principal: Some(group()),
                        resource: None,
                    },
                )
            })
            .unwrap();
        assert_eq!(
            of_group.iter().map(|g| g.id.clone()).collect::<Vec<_>>(),
            [by_group.id.clone(), on_closed.id.clone()]
        );
        let on_ws = store
            .read(|tx| {
                tx.grants().list(
                    &acme.id,
                    &GrantFilter {
                        principal: None,
                        resource: Some(on_workspace()),
                    },
                )
            })
            .unwrap();
        assert_eq!(on_ws.len(), 2);
        assert!(
            store
                .read(|tx| tx.grants().list(&beta.id, &GrantFilter::default()))
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            store.write(|tx| tx.grants().delete(&beta.id, &direct.id, now)),
            Err(StoreError::NotFound)
        ));

        // Deleting the SCIM group removes its grants; the user's own stay.
        store
            .write(|tx| tx.groups().delete(&acme.id, &acme.eng, None, Utc::now()))
            .unwrap();
        let mut left: Vec<String> = store
            .read(|tx| tx.grants().list(&acme.id, &GrantFilter::default()))
            .unwrap()
            .into_iter()
            .map(|g| g.id)
            .collect();
        left.sort();
        let mut expected = [direct.id.clone(), elevated.id.clone()];
        expected.sort();
        assert_eq!(left, expected);
        store
            .write(|tx| tx.grants().delete(&acme.id, &direct.id, now))
            .unwrap();
        assert!(matches!(
            store.write(|tx| tx.grants().delete(&acme.id, &direct.id, now)),
            Err(StoreError::NotFound)
        ));
    }
}

#[test]
fn rules_joins_and_settings_are_kept() {
    for db in TestDb::all() {
        let store = db.open();
        let acme = org(&store, "Acme");
        let now = Utc::now();
        let rule = Rule::for_groups("eng-*", "department_*", Role::Editor);
        let stored = store
            .write(|tx| tx.rules().create(&acme.id, &rule, now))
            .unwrap();
        assert_eq!(
            store.read(|tx| tx.rules().list(&acme.id)).unwrap(),
            std::slice::from_ref(&stored)
        );
        let owner_rule = Rule {
            role: Role::Owner,
            ..rule.clone()
        };
        assert!(matches!(
            store.write(|tx| tx.rules().create(&acme.id, &owner_rule, now)),
            Err(StoreError::Invalid(_))
        ));
        store
            .write(|tx| tx.rules().delete(&acme.id, &stored.id))
            .unwrap();
        assert!(matches!(
            store.write(|tx| tx.rules().delete(&acme.id, &stored.id)),
            Err(StoreError::NotFound)
        ));

        let workspace = store
            .write(|tx| tx.workspaces().create(&acme.id, "w", now))
            .unwrap();
        let resource = ResourceRef::Workspace(workspace.id.clone());
        assert!(
            store
                .write(|tx| tx.access().record_join(&acme.id, &acme.ann, &resource, now))
                .unwrap()
        );
        assert!(
            !store
                .write(|tx| tx.access().record_join(&acme.id, &acme.ann, &resource, now))
                .unwrap()
        );
        assert_eq!(
            store
                .read(|tx| tx.access().joined(&acme.id, &resource))
                .unwrap(),
            std::slice::from_ref(&acme.ann)
        );

        assert_eq!(
            store.read(|tx| tx.orgs().settings(&acme.id)).unwrap(),
            OrgSettings::default()
        );
        let settings = OrgSettings {
            sticky_joins: true,
            reactivation_window_days: 14,
            successor: Some(acme.ann.clone()),
            ..OrgSettings::default()
        };
        store
            .write(|tx| tx.orgs().set_settings(&acme.id, &settings))
            .unwrap();
        assert_eq!(
            store.read(|tx| tx.orgs().settings(&acme.id)).unwrap(),
            settings
        );
        assert!(matches!(
            store.read(|tx| tx.orgs().settings("nope")),
            Err(StoreError::NotFound)
        ));
    }
}

#[test]
fn the_last_active_owner_grant_of_a_workspace_is_not_revoked() {
    for db in TestDb::all() {
        let store = db.open();
        let acme = org(&store, "Acme");
        let now = Utc::now();
        let (workspace, bob) = store
            .write(|tx| {
                let workspace = tx.workspaces().create(&acme.id, "w", now)?;
                let bob = tx
                    .users()
                    .create(&acme.id, &json!({"userName": "bob"}), now)?;
                Ok((workspace, bob.id))
            })
            .unwrap();
        let on_workspace = ResourceRef::Workspace(workspace.id.clone());
        let owner = |user: &str| {
            grant(
                Principal::User(user.to_owned()),
                on_workspace.clone(),
                Role::Owner,
            )
        };
        let ann_owns = store
            .write(|tx| tx.grants().create(&acme.id, &owner(&acme.ann)))
            .unwrap();
        let refused = store.write(|tx| tx.grants().delete(&acme.id, &ann_owns.id, now));
        match refused {
            Err(StoreError::Invalid(message)) => assert_eq!(
                message,
                "a workspace keeps at least one active Owner: grant owner to someone else first"
            ),
            other => panic!("{other:?}"),
        }

        // Bob owns it too: Ann's grant may go, and then Bob's is the last.
        let bob_owns = store
            .write(|tx| tx.grants().create(&acme.id, &owner(&bob)))
            .unwrap();
        store
            .write(|tx| tx.grants().delete(&acme.id, &ann_owns.id, now))
            .unwrap();
        assert!(matches!(
            store.write(|tx| tx.grants().delete(&acme.id, &bob_owns.id, now)),
            Err(StoreError::Invalid(_))
        ));

        // A suspended co-owner does not count; an org that names owners has them anyway.
        let ann_owns = store
            .write(|tx| tx.grants().create(&acme.id, &owner(&acme.ann)))
            .unwrap();
        store
            .write(|tx| {
                tx.users().replace(
                    &acme.id,
                    &acme.ann,
                    &json!({"userName": "ann", "active": false}),
                    None,
                    now,
                )
            })
            .unwrap();
        assert!(matches!(
            store.write(|tx| tx.grants().delete(&acme.id, &bob_owns.id, now)),
            Err(StoreError::Invalid(_))
        ));
        let settings = OrgSettings {
            owners: vec![acme.ann.clone()],
            ..OrgSettings::default()
        };
        store
            .write(|tx| tx.orgs().set_settings(&acme.id, &settings))
            .unwrap();
        store
            .write(|tx| tx.grants().delete(&acme.id, &bob_owns.id, now))
            .unwrap();
        store
            .write(|tx| tx.grants().delete(&acme.id, &ann_owns.id, now))
            .unwrap();
    }
}
