//! Criterion benchmarks of the resolver: one user's role on a folder when the user is in 50
//! groups (nested up to three levels) and the folder and workspace carry 100 grants; and the
//! reverse query on a workspace with 10,000 members. Figures are recorded in
//! `docs/benchmarks.md`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use org_model::{
    AccessInput, Candidate, Folder, Grant, GrantSource, GroupGraph, Principal, ResourceRef, Role,
    Rule, TeamAccess, Workspace, effective_role, explain, who_has_access,
};
use std::hint::black_box;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

fn grant(id: usize, principal: Principal, resource: ResourceRef, role: Role) -> Grant {
    Grant {
        id: format!("grant-{id:04}"),
        principal,
        resource,
        role,
        source: GrantSource::Manual { by: None },
        // every fourth grant is time-bound, still running
        expires_at: id.is_multiple_of(4).then(|| now() + Duration::days(7)),
        created_at: now() - Duration::days(30),
    }
}

fn workspace() -> Workspace {
    Workspace {
        id: "ws".to_owned(),
        name: "department_engineering".to_owned(),
        home_folder_id: "home".to_owned(),
    }
}

fn folder(id: &str, team_access: TeamAccess) -> Folder {
    Folder {
        id: id.to_owned(),
        workspace_id: "ws".to_owned(),
        name: id.to_owned(),
        team_access,
    }
}

fn rules() -> Vec<Rule> {
    [
        ("r1", "eng-*", "department_*", Role::Commenter),
        ("r2", "org-admins", "*", Role::Maintainer),
        ("r3", "sales-*", "sales_*", Role::Editor),
        ("r4", "*-leads", "department_eng*", Role::Collaborator),
        ("r5", "contractors", "*", Role::Viewer),
    ]
    .into_iter()
    .map(|(id, group, workspaces, role)| Rule {
        id: id.to_owned(),
        ..Rule::for_groups(group, workspaces, role)
    })
    .collect()
}

/// `ann` is a direct member of 30 groups; 12 groups hold 2–3 of those each; 8 groups hold
/// those (three levels, 50 groups in all). 200 other users and 50 unrelated groups fill the
/// graph. Returns the graph and ann's groups, direct first.
fn fifty_groups() -> (GroupGraph, Vec<String>) {
    let mut graph = GroupGraph::new();
    let direct: Vec<String> = (0..30).map(|i| format!("team-{i:02}")).collect();
    let middle: Vec<String> = (0..12).map(|i| format!("dept-{i:02}")).collect();
    let top: Vec<String> = (0..8).map(|i| format!("division-{i}")).collect();
    for (i, group) in direct.iter().enumerate() {
        graph.add_membership(group, "ann");
        graph.add_membership(&middle[i % middle.len()], group);
        graph.set_name(group, &format!("eng-team-{i:02}"));
    }
    for (i, group) in middle.iter().enumerate() {
        graph.add_membership(&top[i % top.len()], group);
        graph.set_name(group, &format!("dept-{i:02}"));
    }
    for (i, group) in top.iter().enumerate() {
        graph.set_name(group, &format!("division-{i}-leads"));
    }
    for i in 0..50 {
        let group = format!("other-{i:02}");
        graph.set_name(&group, &format!("sales-{i:02}"));
        for user in 0..4 {
            graph.add_membership(&group, &format!("user-{:03}", (i * 4 + user) % 200));
        }
    }
    let mut all = direct;
    all.extend(middle);
    all.extend(top);
    (graph, all)
}

/// 100 grants: on `on`, 40 to ann's groups (viewer or commenter, one editor grant on a
/// top-level group) and 30 to other users; on the workspace, 30 to other groups and users.
fn hundred_grants(
    anns_groups: &[String],
    on: &ResourceRef,
    group_grants_on_folder: bool,
) -> Vec<Grant> {
    let mut grants = Vec::new();
    let workspace = ResourceRef::Workspace("ws".to_owned());
    for i in 0..40 {
        let group = &anns_groups[(i * 7) % anns_groups.len()];
        let role = if i % 3 == 0 {
            Role::Commenter
        } else {
            Role::Viewer
        };
        let resource = if group_grants_on_folder {
            on.clone()
        } else {
            workspace.clone()
        };
        grants.push(grant(i, Principal::Group(group.clone()), resource, role));
    }
    let resource = if group_grants_on_folder {
        on.clone()
    } else {
        workspace.clone()
    };
    grants.push(grant(
        40,
        Principal::Group("division-7".to_owned()),
        resource,
        Role::Editor,
    ));
    for i in 41..70 {
        grants.push(grant(
            i,
            Principal::User(format!("user-{i:03}")),
            on.clone(),
            Role::Editor,
        ));
    }
    for i in 70..100 {
        let principal = if i % 2 == 0 {
            Principal::Group(format!("other-{:02}", i - 70))
        } else {
            Principal::User(format!("user-{i:03}"))
        };
        grants.push(grant(i, principal, workspace.clone(), Role::Maintainer));
    }
    grants
}

fn one_user_in_fifty_groups(c: &mut Criterion) {
    let (graph, anns_groups) = fifty_groups();
    assert_eq!(anns_groups.len(), 50);
    assert_eq!(graph.groups_of("ann").len(), 50);
    let workspace = workspace();
    let rules = rules();
    let private = folder("private", TeamAccess::InviteOnly);
    let open = folder("open", TeamAccess::Everyone(Role::Editor));
    let cases = [
        ("invite-only folder", &private, true),
        ("everyone:editor folder", &open, false),
    ];
    for (name, folder, group_grants_on_folder) in cases {
        let on = ResourceRef::Folder(folder.id.clone());
        let grants = hundred_grants(&anns_groups, &on, group_grants_on_folder);
        let input = AccessInput {
            user_id: "ann",
            active: true,
            org_owner: false,
            groups: &graph,
            workspace: &workspace,
            folder: Some(folder),
            grants: &grants,
            rules: &rules,
            attribute_matches: &[],
            now: now(),
        };
        assert_eq!(effective_role(&input), Some(Role::Editor), "{name}");
        assert_eq!(explain(&input).role, Some(Role::Editor), "{name}");
        c.bench_function(
            &format!("access/effective_role 50 groups, {name}, 100 grants"),
            |b| b.iter(|| effective_role(black_box(&input))),
        );
        c.bench_function(
            &format!("access/explain 50 groups, {name}, 100 grants"),
            |b| b.iter(|| explain(black_box(&input))),
        );
    }
}

/// 10,000 users spread over 20 groups (five of them inside others), 500 direct grants on
/// the workspace, group grants to 8 groups, and the rules; one user in fifty inactive,
/// three org owners.
fn ten_thousand_members(c: &mut Criterion) {
    let mut graph = GroupGraph::new();
    let groups: Vec<String> = (0..20).map(|i| format!("group-{i:02}")).collect();
    for (i, group) in groups.iter().enumerate() {
        let name = match i % 4 {
            0 => format!("eng-{i:02}"),
            1 => format!("ops-{i:02}"),
            2 => format!("design-{i:02}"),
            _ => format!("support-{i:02}"),
        };
        graph.set_name(group, &name);
        if i >= 15 {
            graph.add_membership(&groups[i - 15], group);
        }
    }
    let users: Vec<String> = (0..10_000).map(|i| format!("user-{i:05}")).collect();
    for (i, user) in users.iter().enumerate() {
        graph.add_membership(&groups[i % groups.len()], user);
        if i.is_multiple_of(10) {
            graph.add_membership(&groups[(i / 10) % groups.len()], user);
        }
    }
    let workspace = workspace();
    let rules = rules();
    let on = ResourceRef::Workspace("ws".to_owned());
    let mut grants: Vec<Grant> = (0..500)
        .map(|i| {
            grant(
                i,
                Principal::User(users[i * 20].clone()),
                on.clone(),
                Role::Editor,
            )
        })
        .collect();
    for i in 0..8 {
        let role = [
            Role::Viewer,
            Role::Commenter,
            Role::Collaborator,
            Role::Maintainer,
        ][i % 4];
        grants.push(grant(
            500 + i,
            Principal::Group(groups[i * 2].clone()),
            on.clone(),
            role,
        ));
    }
    let candidates: Vec<Candidate<'_>> = users
        .iter()
        .enumerate()
        .map(|(i, user)| Candidate {
            user_id: user,
            active: !i.is_multiple_of(50),
            org_owner: i < 3,
            attribute_matches: &[],
        })
        .collect();
    let open = folder("open", TeamAccess::Everyone(Role::Editor));
    let found = who_has_access(
        candidates.iter().copied(),
        &graph,
        &workspace,
        None,
        &grants,
        &rules,
        now(),
    );
    let naive: Vec<(String, Role)> = candidates
        .iter()
        .filter_map(|candidate| {
            effective_role(&AccessInput {
                user_id: candidate.user_id,
                active: candidate.active,
                org_owner: candidate.org_owner,
                groups: &graph,
                workspace: &workspace,
                folder: None,
                grants: &grants,
                rules: &rules,
                attribute_matches: &[],
                now: now(),
            })
            .map(|role| (candidate.user_id.to_owned(), role))
        })
        .collect();
    assert_eq!(found, naive);
    println!(
        "who_has_access: {} of 10,000 members have a role",
        found.len()
    );
    c.bench_function("access/who_has_access workspace, 10,000 members", |b| {
        b.iter(|| {
            who_has_access(
                black_box(candidates.iter().copied()),
                &graph,
                &workspace,
                None,
                &grants,
                &rules,
                now(),
            )
        })
    });
    c.bench_function(
        "access/who_has_access everyone:editor folder, 10,000 members",
        |b| {
            b.iter(|| {
                who_has_access(
                    black_box(candidates.iter().copied()),
                    &graph,
                    &workspace,
                    Some(&open),
                    &grants,
                    &rules,
                    now(),
                )
            })
        },
    );
    c.bench_function(
        "access/effective_role 10,000 times (the reverse query done naively)",
        |b| {
            b.iter(|| {
                candidates
                    .iter()
                    .filter_map(|candidate| {
                        effective_role(&AccessInput {
                            user_id: candidate.user_id,
                            active: candidate.active,
                            org_owner: candidate.org_owner,
                            groups: &graph,
                            workspace: &workspace,
                            folder: None,
                            grants: &grants,
                            rules: &rules,
                            attribute_matches: &[],
                            now: now(),
                        })
                    })
                    .count()
            })
        },
    );
}

criterion_group!(benches, one_user_in_fifty_groups, ten_thousand_members);
criterion_main!(benches);
