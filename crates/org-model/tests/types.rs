//! The value types: role order, aliases and capabilities; team access forms; resource
//! references; the rules a grant must follow.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Duration, TimeZone, Utc};
use org_model::{
    Capability, Folder, Grant, GrantError, GrantSource, Principal, ResourceRef, Role, TeamAccess,
};

#[test]
fn roles_are_ordered_and_parsed_with_their_aliases() {
    assert!(Role::ALL.windows(2).all(|pair| pair[0] < pair[1]));
    let cases = [
        ("viewer", Some(Role::Viewer)),
        ("Participant", Some(Role::Participant)),
        ("checker", Some(Role::Participant)),
        ("commenter", Some(Role::Commenter)),
        ("collaborator", Some(Role::Collaborator)),
        ("member", Some(Role::Editor)),
        ("EDITOR", Some(Role::Editor)),
        ("admin", Some(Role::Maintainer)),
        ("maintainer", Some(Role::Maintainer)),
        ("owner", Some(Role::Owner)),
        ("superuser", None),
        ("", None),
    ];
    for (name, expected) in cases {
        assert_eq!(Role::parse(name).ok(), expected, "{name}");
    }
    for role in Role::ALL {
        assert_eq!(Role::parse(role.as_str()), Ok(role));
    }
}

#[test]
fn each_tier_has_every_capability_of_the_tiers_below() {
    let cases = [
        (Capability::Read, Role::Viewer),
        (Capability::WorkOnAssignedTasks, Role::Participant),
        (Capability::Comment, Role::Commenter),
        (Capability::CompleteAnyTask, Role::Collaborator),
        (Capability::RunAutomations, Role::Collaborator),
        (Capability::EditOwnContent, Role::Collaborator),
        (Capability::EditContent, Role::Editor),
        (Capability::ManageMembers, Role::Maintainer),
        (Capability::ManageSettings, Role::Maintainer),
        (Capability::Billing, Role::Owner),
        (Capability::TransferOwnership, Role::Owner),
        (Capability::DeleteWorkspace, Role::Owner),
    ];
    for (capability, lowest) in cases {
        for role in Role::ALL {
            assert_eq!(
                role.can(capability),
                role >= lowest,
                "{role} {capability:?}"
            );
        }
    }
    // Collaborator sits above commenter: it can comment and complete any task.
    assert!(Role::Collaborator.can(Capability::Comment));
    assert!(!Role::Commenter.can(Capability::CompleteAnyTask));
}

#[test]
fn team_access_and_resource_references_have_one_wire_form() {
    for text in [
        "invite_only",
        "everyone:editor",
        "everyone:participant",
        "everyone:viewer",
    ] {
        assert_eq!(TeamAccess::parse(text).unwrap().as_str(), text);
    }
    for bad in ["everyone:owner", "everyone", "open", ""] {
        assert!(TeamAccess::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(TeamAccess::default(), TeamAccess::InviteOnly);
    assert_eq!(
        ResourceRef::parse("folder:f1"),
        Ok(ResourceRef::Folder("f1".into()))
    );
    assert_eq!(
        ResourceRef::parse("workspace:w1").unwrap().to_string(),
        "workspace:w1"
    );
    for bad in ["folder:", "w1", "team:x", ""] {
        assert!(ResourceRef::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn grants_follow_the_group_and_expiry_rules() {
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
    let grant = |principal: Principal, role: Role, expires_at| Grant {
        id: "g".into(),
        principal,
        resource: ResourceRef::Folder("f".into()),
        role,
        source: GrantSource::Manual { by: None },
        expires_at,
        created_at: now,
    };
    let folder = |team_access| Folder {
        id: "f".into(),
        workspace_id: "w".into(),
        name: "Q3 Plans".into(),
        team_access,
    };
    let open = folder(TeamAccess::Everyone(Role::Viewer));
    let invite_only = folder(TeamAccess::InviteOnly);
    let user = || Principal::User("u".into());
    let group = || Principal::Group("g".into());
    let later = Some(now + Duration::hours(1));
    let cases = [
        (grant(user(), Role::Owner, None), None, Ok(())),
        (grant(group(), Role::Maintainer, None), None, Ok(())),
        (
            grant(group(), Role::Owner, None),
            None,
            Err(GrantError::GroupOwner),
        ),
        (
            grant(group(), Role::Editor, None),
            Some(&invite_only),
            Ok(()),
        ),
        (
            grant(group(), Role::Editor, None),
            Some(&open),
            Err(GrantError::GroupOnOpenFolder),
        ),
        (grant(user(), Role::Editor, None), Some(&open), Ok(())),
        (grant(user(), Role::Editor, later), None, Ok(())),
        (
            grant(user(), Role::Editor, Some(now)),
            None,
            Err(GrantError::AlreadyExpired),
        ),
    ];
    for (grant, folder, expected) in cases {
        assert_eq!(grant.check(folder), expected, "{grant:?}");
    }
    let expiring = grant(user(), Role::Editor, later);
    assert!(expiring.is_active(now));
    assert!(!expiring.is_active(now + Duration::hours(1)));
}
