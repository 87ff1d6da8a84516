use super::*;
use crate::clock::FixedClock;
use chrono::TimeZone;

const ADMIN_PASSWORD: &str = "orchard lantern pebble violin";
const STAFF_PASSWORD: &str = "copper meadow thistle rocket";
/// What an administrator gives a new account; its owner replaces it at the first login.
const FIRST_PASSWORD: &str = "harbor first-day walnut kite";

struct Desk {
    db: Database,
    clock: FixedClock,
    admin: Session,
}

fn desk() -> Desk {
    let mut db = Database::open_in_memory().expect("database");
    let start = Utc
        .with_ymd_and_hms(2026, 11, 28, 13, 0, 0)
        .single()
        .expect("instant");
    let clock = FixedClock::new(start);
    let admin = create_first_admin(
        &mut db,
        &clock,
        "admin",
        "Avery Admin",
        ADMIN_PASSWORD,
        ADMIN_PASSWORD,
    )
    .expect("first admin");
    Desk { db, clock, admin }
}

impl Desk {
    fn add(&mut self, username: &str, roles: &[Role]) -> Session {
        let new = NewStaff {
            username: username.to_string(),
            display_name: format!("Person {username}"),
            roles: roles.to_vec(),
            password: FIRST_PASSWORD.to_string(),
        };
        create_staff(
            &mut self.db,
            &self.clock,
            &mut Actor::Staff(&mut self.admin),
            &new,
        )
        .expect("created");
        // The first login: the person chooses their own password before anything else.
        let mut session =
            login(&mut self.db, &self.clock, username, FIRST_PASSWORD).expect("logs in");
        change_own_password(
            &mut self.db,
            &self.clock,
            &mut session,
            FIRST_PASSWORD,
            STAFF_PASSWORD,
        )
        .expect("chooses a password");
        session
    }

    fn audit_actions(&self) -> Vec<(String, String, String)> {
        audit::list(
            &self.db,
            &audit::Filter {
                limit: 1000,
                ..Default::default()
            },
        )
        .expect("audit")
        .into_iter()
        .rev()
        .map(|entry| (entry.action, entry.object, entry.result))
        .collect()
    }
}

#[test]
fn the_first_administrator_is_created_once() {
    let mut db = Database::open_in_memory().expect("database");
    let clock = FixedClock::new(Utc::now());
    assert!(
        needs_first_admin(&db).expect("query"),
        "a new database has no staff"
    );
    let err = create_first_admin(
        &mut db,
        &clock,
        "admin",
        "Avery",
        ADMIN_PASSWORD,
        "something else entirely",
    )
    .expect_err("passwords differ");
    assert_eq!(err.code, ErrorCode::InvalidInput, "{}", err.message);
    let err =
        create_first_admin(&mut db, &clock, "admin", "Avery", "admin", "admin").expect_err("weak");
    assert_eq!(err.code, ErrorCode::InvalidInput, "{}", err.message);
    assert!(
        needs_first_admin(&db).expect("query"),
        "refused attempts create nothing"
    );

    let session = create_first_admin(
        &mut db,
        &clock,
        "admin",
        "Avery",
        ADMIN_PASSWORD,
        ADMIN_PASSWORD,
    )
    .expect("created");
    assert_eq!(
        session.roles,
        vec![Role::Admin],
        "the first account is an administrator"
    );
    assert!(
        !needs_first_admin(&db).expect("query"),
        "now there is staff"
    );
    let err = create_first_admin(
        &mut db,
        &clock,
        "second",
        "Sam",
        STAFF_PASSWORD,
        STAFF_PASSWORD,
    )
    .expect_err("only once");
    assert_eq!(
        err.code,
        ErrorCode::Conflict,
        "a second first-admin is refused: {}",
        err.message
    );
}

#[test]
fn unknown_user_and_wrong_password_get_the_same_message() {
    let mut d = desk();
    let unknown = login(&mut d.db, &d.clock, "nobody", STAFF_PASSWORD).expect_err("unknown");
    let wrong = login(&mut d.db, &d.clock, "admin", "not the password at all").expect_err("wrong");
    assert_eq!(unknown, wrong, "nobody learns which usernames exist");
    assert_eq!(
        wrong.code,
        ErrorCode::NotAuthenticated,
        "login failures are not_authenticated"
    );
}

#[test]
fn five_failures_lock_the_account_for_fifteen_minutes() {
    let mut d = desk();
    d.add("frank", &[Role::FrontDesk]);
    for _ in 0..MAX_FAILED_LOGINS {
        login(&mut d.db, &d.clock, "frank", "wrong wrong wrong").expect_err("wrong password");
    }
    let locked = login(&mut d.db, &d.clock, "frank", STAFF_PASSWORD).expect_err("locked");
    let wrong = login(&mut d.db, &d.clock, "admin", "wrong wrong wrong").expect_err("wrong");
    assert_eq!(
        locked, wrong,
        "the right password does not open a locked account, and the answer reads like any refused login"
    );
    d.clock.advance(Duration::minutes(14));
    login(&mut d.db, &d.clock, "frank", STAFF_PASSWORD).expect_err("still locked after 14 minutes");
    d.clock.advance(Duration::minutes(2));
    login(&mut d.db, &d.clock, "frank", "wrong wrong wrong").expect_err("one more mistake");
    login(&mut d.db, &d.clock, "frank", STAFF_PASSWORD)
        .expect("after the lockout ran out, one mistake does not lock the account again");
    for _ in 0..MAX_FAILED_LOGINS {
        login(&mut d.db, &d.clock, "frank", "wrong wrong wrong").expect_err("wrong again");
    }
    login(&mut d.db, &d.clock, "frank", STAFF_PASSWORD)
        .expect_err("five new failures lock it again");
    let actions = d.audit_actions();
    assert!(
        actions
            .iter()
            .any(|(action, object, _)| action == "staff.lockout" && object == "staff:frank"),
        "the lockout is audited"
    );
}

#[test]
fn a_success_resets_the_failure_count() {
    let mut d = desk();
    d.add("frank", &[Role::FrontDesk]);
    for _ in 0..4 {
        login(&mut d.db, &d.clock, "frank", "wrong wrong wrong").expect_err("wrong");
    }
    login(&mut d.db, &d.clock, "frank", STAFF_PASSWORD).expect("fifth try is right");
    for _ in 0..4 {
        login(&mut d.db, &d.clock, "frank", "wrong wrong wrong").expect_err("wrong");
    }
    login(&mut d.db, &d.clock, "frank", STAFF_PASSWORD)
        .expect("four failures after a success do not lock");
}

#[test]
fn supervisors_and_administrators_can_unlock_sooner_but_front_desk_cannot() {
    let mut d = desk();
    d.add("frank", &[Role::FrontDesk]);
    let mut supervisor = d.add("sue", &[Role::Supervisor]);
    let mut colleague = d.add("fay", &[Role::FrontDesk]);
    for _ in 0..MAX_FAILED_LOGINS {
        login(&mut d.db, &d.clock, "frank", "wrong wrong wrong").expect_err("wrong");
    }
    let err = unlock_account(
        &mut d.db,
        &d.clock,
        &mut Actor::Staff(&mut colleague),
        "frank",
    )
    .expect_err("front desk");
    assert_eq!(
        err.code,
        ErrorCode::PermissionDenied,
        "front desk cannot unlock accounts"
    );
    unlock_account(
        &mut d.db,
        &d.clock,
        &mut Actor::Staff(&mut supervisor),
        "frank",
    )
    .expect("supervisor unlocks");
    login(&mut d.db, &d.clock, "frank", STAFF_PASSWORD).expect("unlocked at once");
}

#[test]
fn disabled_accounts_cannot_log_in_and_are_stopped_on_their_next_action() {
    let mut d = desk();
    let mut nurse = d.add("nina", &[Role::Nurse]);
    authorize(&mut d.db, &d.clock, &mut nurse, Operation::QueueServe).expect("allowed before");
    set_disabled(
        &mut d.db,
        &d.clock,
        &mut Actor::Staff(&mut d.admin),
        "nina",
        true,
    )
    .expect("disabled");
    let err =
        authorize(&mut d.db, &d.clock, &mut nurse, Operation::QueueServe).expect_err("stopped");
    assert_eq!(
        err.code,
        ErrorCode::NotAuthenticated,
        "a disabled account's session ends at once"
    );
    let err = login(&mut d.db, &d.clock, "nina", STAFF_PASSWORD).expect_err("cannot log in");
    assert!(err.message.contains("disabled"), "{}", err.message);
    set_disabled(
        &mut d.db,
        &d.clock,
        &mut Actor::Staff(&mut d.admin),
        "nina",
        false,
    )
    .expect("enabled");
    login(&mut d.db, &d.clock, "nina", STAFF_PASSWORD).expect("can log in again");
}

#[test]
fn changed_roles_apply_on_the_next_action() {
    let mut d = desk();
    let mut person = d.add("pat", &[Role::FrontDesk]);
    authorize(&mut d.db, &d.clock, &mut person, Operation::BookServices).expect("front desk books");
    set_roles(
        &mut d.db,
        &d.clock,
        &mut Actor::Staff(&mut d.admin),
        "pat",
        &[Role::Nurse],
    )
    .expect("now a nurse");
    let err = authorize(&mut d.db, &d.clock, &mut person, Operation::BookServices)
        .expect_err("no longer");
    assert_eq!(
        err.code,
        ErrorCode::PermissionDenied,
        "the old role is gone at once"
    );
    authorize(&mut d.db, &d.clock, &mut person, Operation::QueueServe)
        .expect("the new role applies at once");
}

#[test]
fn the_screen_locks_after_the_idle_time_and_the_same_person_unlocks() {
    let mut d = desk();
    let mut person = d.add("pat", &[Role::FrontDesk]);
    d.clock.advance(Duration::minutes(9));
    authorize(&mut d.db, &d.clock, &mut person, Operation::GuestsCheckIn)
        .expect("active within 10 minutes");
    d.clock
        .advance(Duration::minutes(10) + Duration::seconds(1));
    let err =
        authorize(&mut d.db, &d.clock, &mut person, Operation::GuestsCheckIn).expect_err("idle");
    assert!(person.locked, "the session is locked after 10 idle minutes");
    assert_eq!(err.code, ErrorCode::NotAuthenticated, "{}", err.message);
    unlock_session(&mut d.db, &d.clock, &mut person, "not my password")
        .expect_err("wrong password");
    assert!(person.locked, "a wrong password keeps it locked");
    unlock_session(&mut d.db, &d.clock, &mut person, STAFF_PASSWORD).expect("unlocked");
    authorize(&mut d.db, &d.clock, &mut person, Operation::GuestsCheckIn).expect("works again");
    assert!(
        d.audit_actions()
            .iter()
            .any(|(action, _, _)| action == "session.idle_lock"),
        "idle locks are audited"
    );
}

#[test]
fn sessions_end_after_twelve_hours_however_active() {
    let mut d = desk();
    let mut person = d.add("pat", &[Role::FrontDesk]);
    for _ in 0..(12 * 6) {
        d.clock.advance(Duration::minutes(10));
        authorize(&mut d.db, &d.clock, &mut person, Operation::GuestsCheckIn)
            .expect("active all day");
    }
    d.clock.advance(Duration::minutes(1));
    let err = authorize(&mut d.db, &d.clock, &mut person, Operation::GuestsCheckIn)
        .expect_err("12 hours");
    assert!(err.message.contains("12 hours"), "{}", err.message);
}

#[test]
fn every_operation_with_every_role_follows_the_matrix() {
    let mut d = desk();
    let expected: &[(Operation, [bool; 4])] = &[
        // front_desk, nurse, supervisor, admin
        (Operation::GuestsCheckIn, [true, true, true, false]),
        (Operation::SeeAlerts, [true, true, true, false]),
        (Operation::ManageRestrictions, [false, false, true, false]),
        (Operation::BookServices, [true, false, true, false]),
        (Operation::ManageResources, [false, false, true, false]),
        (Operation::QueueAddAndView, [true, true, true, false]),
        (Operation::QueueServe, [false, true, false, false]),
        (Operation::ReadClinicalNotes, [false, true, true, false]),
        (Operation::RecordIncidents, [false, true, true, false]),
        (Operation::ReferralsGeneral, [true, true, true, false]),
        (Operation::ReferralsClinical, [false, true, true, false]),
        (Operation::Reports, [false, false, true, false]),
        (Operation::AuditView, [false, false, true, true]),
        (Operation::UnlockAccounts, [false, false, true, true]),
        (Operation::AdminStaff, [false, false, false, true]),
        (Operation::AdminSettings, [false, false, false, true]),
        (Operation::OverrideCapacity, [false, false, true, false]),
        (Operation::MergeGuests, [false, false, true, false]),
        (Operation::CloseDay, [false, false, true, false]),
        (Operation::Backups, [false, false, false, true]),
    ];
    let mut sessions: Vec<Session> = Role::ALL
        .iter()
        .map(|role| d.add(&format!("only_{}", role.as_str()), &[*role]))
        .collect();
    for (operation, allowed) in expected {
        for (index, session) in sessions.iter_mut().enumerate() {
            let outcome = authorize(&mut d.db, &d.clock, session, *operation);
            assert_eq!(
                outcome.is_ok(),
                allowed[index],
                "{operation:?} for {:?}",
                session.roles
            );
            if let Err(err) = outcome {
                assert_eq!(
                    err.code,
                    ErrorCode::PermissionDenied,
                    "refusals say permission_denied"
                );
            }
        }
    }
    let refusals = d
        .audit_actions()
        .iter()
        .filter(|(action, _, _)| action == "permission.refused")
        .count();
    let expected_refusals = expected
        .iter()
        .flat_map(|(_, row)| row.iter())
        .filter(|allowed| !**allowed)
        .count();
    assert_eq!(
        refusals, expected_refusals,
        "every refusal is in the audit log"
    );
}

#[test]
fn staff_administration_is_for_administrators_only() {
    let mut d = desk();
    for role in [Role::FrontDesk, Role::Nurse, Role::Supervisor] {
        let mut session = d.add(&format!("x_{}", role.as_str()), &[role]);
        let mut actor = Actor::Staff(&mut session);
        let new = NewStaff {
            username: "intruder".into(),
            display_name: "Intruder".into(),
            roles: vec![Role::Admin],
            password: STAFF_PASSWORD.into(),
        };
        assert_eq!(
            create_staff(&mut d.db, &d.clock, &mut actor, &new)
                .expect_err("refused")
                .code,
            ErrorCode::PermissionDenied,
            "{role:?} cannot create"
        );
        assert_eq!(
            list_staff(&mut d.db, &d.clock, &mut actor)
                .expect_err("refused")
                .code,
            ErrorCode::PermissionDenied,
            "{role:?} cannot list"
        );
        assert_eq!(
            set_roles(&mut d.db, &d.clock, &mut actor, "admin", &[Role::Nurse])
                .expect_err("refused")
                .code,
            ErrorCode::PermissionDenied,
            "{role:?} cannot change roles"
        );
        assert_eq!(
            set_disabled(&mut d.db, &d.clock, &mut actor, "admin", true)
                .expect_err("refused")
                .code,
            ErrorCode::PermissionDenied,
            "{role:?} cannot disable"
        );
        assert_eq!(
            reset_password(
                &mut d.db,
                &d.clock,
                &mut actor,
                "admin",
                "harbor crane velvet bishop"
            )
            .expect_err("refused")
            .code,
            ErrorCode::PermissionDenied,
            "{role:?} cannot reset passwords"
        );
    }
    let staff =
        list_staff(&mut d.db, &d.clock, &mut Actor::Staff(&mut d.admin)).expect("admin lists");
    assert!(
        staff.iter().all(|member| member.username != "intruder"),
        "nothing was created by refused calls"
    );
    let admin = staff
        .iter()
        .find(|member| member.username == "admin")
        .expect("admin");
    assert_eq!(
        admin.roles,
        vec![Role::Admin],
        "refused role changes changed nothing"
    );
    assert!(!admin.disabled, "refused disables changed nothing");
}

#[test]
fn the_command_line_may_administer_staff_but_nothing_else() {
    let mut d = desk();
    let mut cli = Actor::Cli {
        os_user: "maria".into(),
    };
    let created = create_staff(
        &mut d.db,
        &d.clock,
        &mut cli,
        &NewStaff {
            username: "night.nurse".into(),
            display_name: "Night Nurse".into(),
            roles: vec![Role::Nurse, Role::Supervisor],
            password: STAFF_PASSWORD.into(),
        },
    )
    .expect("break-glass creation");
    assert_eq!(
        created.roles,
        vec![Role::Nurse, Role::Supervisor],
        "several roles"
    );
    let err = authorize_actor(&mut d.db, &d.clock, &mut cli, Operation::GuestsCheckIn)
        .expect_err("not guest work");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    let entry = audit::list(
        &d.db,
        &audit::Filter {
            limit: 1,
            ..Default::default()
        },
    )
    .expect("audit");
    assert_eq!(
        entry[0].actor, "os:maria",
        "the operating-system user is the actor"
    );
}

#[test]
fn a_reset_password_must_be_changed_before_anything_else() {
    let mut d = desk();
    d.add("pat", &[Role::FrontDesk]);
    reset_password(
        &mut d.db,
        &d.clock,
        &mut Actor::Staff(&mut d.admin),
        "pat",
        "harbor crane velvet bishop",
    )
    .expect("reset");
    let mut pat = login(&mut d.db, &d.clock, "pat", "harbor crane velvet bishop")
        .expect("temporary password works");
    assert!(
        pat.must_change_password,
        "the session says a new password is needed"
    );
    authorize(&mut d.db, &d.clock, &mut pat, Operation::GuestsCheckIn)
        .expect_err("nothing before the change");
    let err = change_own_password(
        &mut d.db,
        &d.clock,
        &mut pat,
        "harbor crane velvet bishop",
        "harbor crane velvet bishop",
    )
    .expect_err("same");
    assert_eq!(err.code, ErrorCode::InvalidInput, "{}", err.message);
    change_own_password(
        &mut d.db,
        &d.clock,
        &mut pat,
        "harbor crane velvet bishop",
        "saffron glacier tuba nickel",
    )
    .expect("changed");
    authorize(&mut d.db, &d.clock, &mut pat, Operation::GuestsCheckIn).expect("now allowed");
}

#[test]
fn bad_account_details_are_refused_with_the_field_named_and_nothing_written() {
    let mut d = desk();
    let cases: &[(&str, &str, &[Role], &str)] = &[
        ("", "Empty Username", &[Role::Nurse], "username"),
        (
            "robert'); DROP TABLE staff;--",
            "Bobby",
            &[Role::Nurse],
            "username",
        ),
        (&"u".repeat(33), "Long", &[Role::Nurse], "username"),
        ("okname", "", &[Role::Nurse], "display name"),
        ("okname", "Bell\u{7}Ringer", &[Role::Nurse], "display name"),
        ("okname", "Evil\u{202E}Name", &[Role::Nurse], "display name"),
        ("okname", &"n".repeat(81), &[Role::Nurse], "display name"),
        ("okname", "No Roles", &[], "roles"),
    ];
    for (username, display_name, roles, field) in cases {
        let new = NewStaff {
            username: (*username).to_string(),
            display_name: (*display_name).to_string(),
            roles: roles.to_vec(),
            password: STAFF_PASSWORD.into(),
        };
        let err = create_staff(&mut d.db, &d.clock, &mut Actor::Staff(&mut d.admin), &new)
            .expect_err("refused");
        assert_eq!(
            err.code,
            ErrorCode::InvalidInput,
            "{username:?}/{display_name:?}: {}",
            err.message
        );
        assert!(
            err.message.starts_with(field),
            "the message names {field}: {}",
            err.message
        );
    }
    let staff = list_staff(&mut d.db, &d.clock, &mut Actor::Staff(&mut d.admin)).expect("list");
    assert_eq!(staff.len(), 1, "only the administrator exists");
    let dup = create_staff(
        &mut d.db,
        &d.clock,
        &mut Actor::Staff(&mut d.admin),
        &NewStaff {
            username: "ADMIN".into(),
            display_name: "Shadow".into(),
            roles: vec![Role::Nurse],
            password: STAFF_PASSWORD.into(),
        },
    )
    .expect_err("usernames are unique regardless of case");
    assert_eq!(dup.code, ErrorCode::Conflict, "{}", dup.message);
}

#[test]
fn weak_hashes_are_upgraded_at_the_next_login() {
    let mut d = desk();
    d.add("pat", &[Role::FrontDesk]);
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(4096, 1, 1, None).expect("params"),
    )
    .hash_password(STAFF_PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng))
    .expect("hash")
    .to_string();
    d.db.conn()
        .execute(
            "UPDATE staff SET password_hash = ?1 WHERE username = 'pat'",
            [&weak],
        )
        .expect("weaken");
    login(&mut d.db, &d.clock, "pat", STAFF_PASSWORD).expect("old hash still verifies");
    let stored: String =
        d.db.conn()
            .query_row(
                "SELECT password_hash FROM staff WHERE username = 'pat'",
                [],
                |r| r.get(0),
            )
            .expect("hash");
    assert!(
        stored.contains("m=19456,t=2,p=1"),
        "the hash was upgraded: {stored}"
    );
}

#[test]
fn passwords_and_hashes_never_reach_the_audit_log() {
    let mut d = desk();
    d.add("pat", &[Role::FrontDesk]);
    login(&mut d.db, &d.clock, "pat", "a wrong guess of a password").expect_err("wrong");
    let everything = audit::list(
        &d.db,
        &audit::Filter {
            limit: 1000,
            ..Default::default()
        },
    )
    .expect("audit");
    for entry in everything {
        let text = format!(
            "{} {} {} {}",
            entry.actor, entry.action, entry.object, entry.detail
        );
        for secret in [
            STAFF_PASSWORD,
            ADMIN_PASSWORD,
            "a wrong guess of a password",
            "$argon2id$",
        ] {
            assert!(
                !text.contains(secret),
                "the audit log holds a secret: {text}"
            );
        }
    }
}

#[test]
fn administrators_set_the_idle_lock_time_within_one_to_sixty_minutes() {
    let mut d = desk();
    let mut supervisor = d.add("sam", &[Role::Supervisor]);
    let before = d.audit_actions().len();
    for bad in [
        "0",
        "61",
        "-5",
        "",
        "ten",
        "2.5",
        "99999999999999999999",
        "1; DROP TABLE settings",
    ] {
        let err = set_idle_lock_minutes(&mut d.db, &d.clock, &mut Actor::Staff(&mut d.admin), bad)
            .expect_err("out of range");
        assert_eq!(err.code, ErrorCode::InvalidInput, "{bad:?} is refused");
        assert!(
            err.message.starts_with("idle lock minutes:"),
            "the field is named: {}",
            err.message
        );
    }
    assert_eq!(
        idle_lock_minutes(&d.db).expect("read"),
        10,
        "refused values change nothing"
    );
    assert_eq!(
        d.audit_actions().len(),
        before,
        "refused values write nothing"
    );

    let err = set_idle_lock_minutes(
        &mut d.db,
        &d.clock,
        &mut Actor::Staff(&mut supervisor),
        "30",
    )
    .expect_err("only administrators change settings");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);
    let err = set_idle_lock_minutes(
        &mut d.db,
        &d.clock,
        &mut Actor::Cli {
            os_user: "maria".into(),
        },
        "30",
    )
    .expect_err("not break-glass");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);

    let stored = set_idle_lock_minutes(&mut d.db, &d.clock, &mut Actor::Staff(&mut d.admin), " 3 ")
        .expect("admin sets it");
    assert_eq!(stored, 3, "the new time is returned");
    assert_eq!(
        session_info(&d.db, &supervisor)
            .expect("info")
            .idle_lock_minutes,
        3,
        "every session sees the new time"
    );
    assert!(
        d.audit_actions()
            .iter()
            .any(|(action, _, result)| action == "settings.idle_lock_minutes" && result == "ok"),
        "the change is audited"
    );
    d.clock.advance(Duration::minutes(3) + Duration::seconds(1));
    let err = authorize(&mut d.db, &d.clock, &mut supervisor, Operation::Reports)
        .expect_err("idle for more than the new time");
    assert_eq!(err.code, ErrorCode::NotAuthenticated, "{}", err.message);
    assert!(supervisor.locked, "the shorter time locks the session");
}

#[test]
fn the_last_active_administrator_cannot_be_removed() {
    let mut d = desk();
    let err = set_roles(
        &mut d.db,
        &d.clock,
        &mut Actor::Staff(&mut d.admin),
        "admin",
        &[Role::Supervisor],
    )
    .expect_err("the only administrator keeps the role");
    assert_eq!(err.code, ErrorCode::Conflict, "{}", err.message);
    let cli_disable = set_disabled(
        &mut d.db,
        &d.clock,
        &mut Actor::Cli {
            os_user: "maria".into(),
        },
        "admin",
        true,
    )
    .expect_err("the command line cannot disable the last administrator either");
    assert_eq!(
        cli_disable.code,
        ErrorCode::Conflict,
        "{}",
        cli_disable.message
    );
    let account = storage::find_by_username(d.db.conn(), "admin")
        .expect("read")
        .expect("exists");
    assert_eq!(
        (account.roles.clone(), account.disabled),
        (vec![Role::Admin], false),
        "a refused change leaves the account as it was"
    );

    d.add("second_admin", &[Role::Admin]);
    let changed = set_roles(
        &mut d.db,
        &d.clock,
        &mut Actor::Staff(&mut d.admin),
        "admin",
        &[Role::Supervisor, Role::Admin],
    )
    .expect("adding a role is fine");
    assert_eq!(
        changed.roles,
        vec![Role::Supervisor, Role::Admin],
        "roles are replaced"
    );
    set_roles(
        &mut d.db,
        &d.clock,
        &mut Actor::Staff(&mut d.admin),
        "admin",
        &[Role::Supervisor],
    )
    .expect("with a second administrator, the first may step down");
}

impl Desk {
    /// A read the screen makes by itself (a timer or a change event), as the window's
    /// refresh commands make it.
    fn refresh(&mut self, session: &mut Session) -> Result<()> {
        with_activity(session, Activity::Refresh, |session| {
            crate::visits::desk_today(&mut self.db, &self.clock, session).map(drop)
        })
    }

    /// A search a person types at the desk.
    fn search(&mut self, session: &mut Session) -> Result<()> {
        with_activity(session, Activity::Person, |session| {
            crate::visits::lookup(&mut self.db, &self.clock, session, "ro").map(drop)
        })
    }

    fn account(&self, username: &str) -> StaffRecord {
        storage::find_by_username(self.db.conn(), username)
            .expect("read")
            .expect("the account exists")
    }

    fn audit_text(&self) -> String {
        audit::list(
            &self.db,
            &audit::Filter {
                limit: 5000,
                ..Default::default()
            },
        )
        .expect("audit")
        .iter()
        .map(|entry| {
            format!(
                "{} {} {} {} {}\n",
                entry.actor, entry.action, entry.object, entry.result, entry.detail
            )
        })
        .collect()
    }
}

#[test]
fn a_screen_that_keeps_refreshing_locks_in_rust_after_the_idle_time() {
    let mut d = desk();
    let mut pat = d.add("pat", &[Role::FrontDesk]);
    // Ten idle minutes of a board reloading every 30 seconds (timer, change events).
    for _ in 0..20 {
        d.clock.advance(Duration::seconds(30));
        d.refresh(&mut pat)
            .expect("refreshes within the idle time pass");
    }
    assert!(
        !pat.locked,
        "at exactly ten minutes the screen is still open"
    );
    d.clock.advance(Duration::seconds(30));
    let err = d
        .refresh(&mut pat)
        .expect_err("the refreshes did not keep it awake");
    assert_eq!(
        err.code,
        ErrorCode::NotAuthenticated,
        "a locked session answers with the locked code: {}",
        err.message
    );
    assert!(pat.locked, "Rust locked the session itself");
    let err = d.search(&mut pat).expect_err("locked");
    assert_eq!(
        err.code,
        ErrorCode::NotAuthenticated,
        "once locked, a person's action is refused too until the password is typed"
    );
    assert!(
        d.audit_actions()
            .iter()
            .any(|(action, object, _)| action == "session.idle_lock" && object == "staff:pat"),
        "the idle lock is audited"
    );
    unlock_session(&mut d.db, &d.clock, &mut pat, STAFF_PASSWORD).expect("unlocked");
    d.refresh(&mut pat).expect("works again after unlocking");
}

#[test]
fn a_persons_action_keeps_the_session_awake_while_the_screen_refreshes() {
    let mut d = desk();
    let mut pat = d.add("pat", &[Role::FrontDesk]);
    // Half an hour: refreshes every 30 seconds, and a search every 9 minutes.
    for step in 1..=60 {
        d.clock.advance(Duration::seconds(30));
        d.refresh(&mut pat).expect("still awake");
        if step % 18 == 0 {
            d.search(&mut pat).expect("a person's search");
        }
    }
    assert!(!pat.locked, "a person at the desk is never locked out");
}

#[test]
fn wrong_passwords_on_the_lock_screen_count_toward_the_lockout() {
    let mut d = desk();
    let mut pat = d.add("pat", &[Role::FrontDesk]);
    lock_session(&mut d.db, &d.clock, &mut pat).expect("locked");
    // Two at the login form (another window, earlier), three on the lock screen: one count.
    for _ in 0..2 {
        login(&mut d.db, &d.clock, "pat", "wrong wrong wrong").expect_err("wrong");
    }
    for attempt in 1..=3 {
        let err =
            unlock_session(&mut d.db, &d.clock, &mut pat, "wrong wrong wrong").expect_err("wrong");
        assert_eq!(err.code, ErrorCode::NotAuthenticated, "{}", err.message);
        assert_eq!(
            err.message.contains("locked after too many"),
            attempt == 3,
            "the fifth wrong password in a row locks the account: {}",
            err.message
        );
    }
    let stored = d.account("pat");
    assert_eq!(
        stored.failed_logins, MAX_FAILED_LOGINS,
        "one counter for every form"
    );
    assert!(stored.locked_until.is_some(), "the account is locked");
    let err = unlock_session(&mut d.db, &d.clock, &mut pat, STAFF_PASSWORD)
        .expect_err("the right password does not open a locked account");
    assert!(err.message.contains("15 minutes"), "{}", err.message);
    assert!(pat.locked, "the screen stays locked");
    login(&mut d.db, &d.clock, "pat", STAFF_PASSWORD).expect_err("nor does the login form");
    let failed_unlocks = d
        .audit_actions()
        .iter()
        .filter(|(action, _, result)| action == "session.unlock" && result == "failed")
        .count();
    assert_eq!(failed_unlocks, 3, "each wrong password is audited");
    assert!(
        d.audit_actions()
            .iter()
            .any(|(action, object, _)| action == "staff.lockout" && object == "staff:pat"),
        "the lockout is audited"
    );
    d.clock.advance(LOCKOUT + Duration::seconds(1));
    unlock_session(&mut d.db, &d.clock, &mut pat, STAFF_PASSWORD)
        .expect("after the lockout the screen opens");
    assert_eq!(
        d.account("pat").failed_logins,
        0,
        "a right password clears the count"
    );
}

#[test]
fn wrong_current_passwords_in_change_my_password_count_toward_the_lockout() {
    let mut d = desk();
    let mut pat = d.add("pat", &[Role::FrontDesk]);
    for attempt in 1..=MAX_FAILED_LOGINS {
        let err = change_own_password(
            &mut d.db,
            &d.clock,
            &mut pat,
            "wrong wrong wrong",
            "saffron glacier tuba nickel",
        )
        .expect_err("wrong current password");
        let last = attempt == MAX_FAILED_LOGINS;
        assert_eq!(
            err.code,
            if last {
                ErrorCode::NotAuthenticated
            } else {
                ErrorCode::InvalidInput
            },
            "attempt {attempt}: {}",
            err.message
        );
    }
    assert!(
        d.account("pat").locked_until.is_some(),
        "five wrong passwords lock the account"
    );
    assert!(
        pat.locked,
        "and the screen, so whoever guessed cannot go on"
    );
    let err =
        authorize(&mut d.db, &d.clock, &mut pat, Operation::GuestsCheckIn).expect_err("locked");
    assert_eq!(err.code, ErrorCode::NotAuthenticated, "{}", err.message);
    login(&mut d.db, &d.clock, "pat", STAFF_PASSWORD).expect_err("the account is locked");
    let failed = d
        .audit_actions()
        .iter()
        .filter(|(action, _, result)| action == "staff.change_password" && result == "failed")
        .count();
    assert_eq!(
        failed, MAX_FAILED_LOGINS as usize,
        "each wrong password is audited"
    );
    let mut supervisor = d.add("sue", &[Role::Supervisor]);
    unlock_account(
        &mut d.db,
        &d.clock,
        &mut Actor::Staff(&mut supervisor),
        "pat",
    )
    .expect("a supervisor lifts the lockout");
    login(&mut d.db, &d.clock, "pat", STAFF_PASSWORD).expect("the password was never changed");
}

#[test]
fn new_accounts_choose_their_own_password_at_first_login() {
    let mut d = desk();
    let created = create_staff(
        &mut d.db,
        &d.clock,
        &mut Actor::Staff(&mut d.admin),
        &NewStaff {
            username: "nina".into(),
            display_name: "Nina Nurse".into(),
            roles: vec![Role::Nurse],
            password: FIRST_PASSWORD.into(),
        },
    )
    .expect("created");
    assert!(
        created.must_change_password,
        "the administrator knows this password, so it must be replaced"
    );
    let mut nina = login(&mut d.db, &d.clock, "nina", FIRST_PASSWORD).expect("logs in");
    assert!(nina.must_change_password, "the session says so");
    let err = authorize(&mut d.db, &d.clock, &mut nina, Operation::QueueServe)
        .expect_err("nothing before the change");
    assert_eq!(err.code, ErrorCode::NotAuthenticated, "{}", err.message);
    change_own_password(
        &mut d.db,
        &d.clock,
        &mut nina,
        FIRST_PASSWORD,
        STAFF_PASSWORD,
    )
    .expect("chooses her own");
    authorize(&mut d.db, &d.clock, &mut nina, Operation::QueueServe).expect("now allowed");
    assert!(
        !d.account("nina").must_change_password,
        "and the next login goes straight in"
    );
    let admin = d.account("admin");
    assert!(
        !admin.must_change_password,
        "the first administrator chose their own password at first run"
    );
}

#[test]
fn a_login_answers_alike_for_an_unknown_name_a_wrong_password_and_a_locked_account() {
    let mut d = desk();
    d.add("frank", &[Role::FrontDesk]);
    let wrong = login(&mut d.db, &d.clock, "frank", "wrong wrong wrong").expect_err("wrong");
    for _ in 1..MAX_FAILED_LOGINS {
        login(&mut d.db, &d.clock, "frank", "wrong wrong wrong").expect_err("wrong");
    }
    let locked = login(&mut d.db, &d.clock, "frank", "wrong wrong wrong").expect_err("locked");
    let locked_right = login(&mut d.db, &d.clock, "frank", STAFF_PASSWORD).expect_err("locked");
    let mut unknown = Vec::new();
    for _ in 0..=MAX_FAILED_LOGINS {
        unknown.push(login(&mut d.db, &d.clock, "francis", "wrong wrong wrong").expect_err("x"));
    }
    for (what, err) in [
        ("a locked account", &locked),
        ("a locked account with the right password", &locked_right),
        ("an unknown name", &unknown[0]),
        ("an unknown name tried past the lockout limit", &unknown[5]),
    ] {
        assert_eq!(
            err, &wrong,
            "{what} answers exactly like a wrong password, so the form tells nobody which names exist"
        );
    }
}

#[test]
fn an_unknown_username_is_audited_without_the_text_typed() {
    let mut d = desk();
    d.add("pat", &[Role::FrontDesk]);
    // A password typed into the username box, then a name that does not exist.
    let typed = ["velvet quarry mango 1987", "Patricia O'Neil"];
    for text in typed {
        login(&mut d.db, &d.clock, text, "anything at all here").expect_err("unknown");
    }
    let audit = d.audit_text();
    for text in typed {
        assert!(
            !audit.contains(text),
            "the audit log holds what was typed: {audit}"
        );
        assert!(
            !audit.contains(&text.to_lowercase())
                && !audit.contains(text.split(' ').next().unwrap_or(text)),
            "not even part of what was typed: {audit}"
        );
    }
    let tried = d
        .audit_actions()
        .iter()
        .filter(|(action, object, result)| {
            action == "login" && object == UNKNOWN_USERNAME && result == "failed"
        })
        .count();
    assert_eq!(
        tried, 2,
        "that an unknown name was tried is recorded, each time"
    );
}

#[test]
fn a_disabled_account_cannot_change_its_password() {
    let mut d = desk();
    let mut pat = d.add("pat", &[Role::FrontDesk]);
    set_disabled(
        &mut d.db,
        &d.clock,
        &mut Actor::Staff(&mut d.admin),
        "pat",
        true,
    )
    .expect("disabled");
    let before = d.account("pat").password_hash;
    let err = change_own_password(
        &mut d.db,
        &d.clock,
        &mut pat,
        STAFF_PASSWORD,
        "saffron glacier tuba nickel",
    )
    .expect_err("disabled");
    assert_eq!(err.code, ErrorCode::NotAuthenticated, "{}", err.message);
    assert!(err.message.contains("disabled"), "{}", err.message);
    assert_eq!(
        d.account("pat").password_hash,
        before,
        "the password is unchanged"
    );
}

#[test]
fn a_locked_or_idle_session_cannot_change_its_password() {
    let mut d = desk();
    let mut pat = d.add("pat", &[Role::FrontDesk]);
    let before = d.account("pat").password_hash;
    d.clock.advance(Duration::minutes(11));
    let err = change_own_password(
        &mut d.db,
        &d.clock,
        &mut pat,
        STAFF_PASSWORD,
        "saffron glacier tuba nickel",
    )
    .expect_err("idle");
    assert_eq!(err.code, ErrorCode::NotAuthenticated, "{}", err.message);
    assert!(pat.locked, "the idle session locks");
    assert_eq!(d.account("pat").password_hash, before, "unchanged");
}

#[test]
fn the_small_cell_setting_is_read_by_a_session_allowed_the_reports_only() {
    let mut d = desk();
    let mut sam = d.add("sam", &[Role::Supervisor]);
    let mut pat = d.add("pat", &[Role::FrontDesk]);
    assert_eq!(
        crate::reports::small_cell_setting(&mut d.db, &d.clock, &mut sam).expect("supervisor"),
        10,
        "supervisors read it (default 10)"
    );
    for (who, session, code) in [
        ("front desk", &mut pat, ErrorCode::PermissionDenied),
        (
            "administrator",
            &mut d.admin.clone(),
            ErrorCode::PermissionDenied,
        ),
    ] {
        let err =
            crate::reports::small_cell_setting(&mut d.db, &d.clock, session).expect_err("refused");
        assert_eq!(err.code, code, "{who}: {}", err.message);
        assert!(
            !err.message.contains("10"),
            "{who}: nothing of the value leaks"
        );
    }
    lock_session(&mut d.db, &d.clock, &mut sam).expect("locked");
    let err =
        crate::reports::small_cell_setting(&mut d.db, &d.clock, &mut sam).expect_err("locked");
    assert_eq!(
        err.code,
        ErrorCode::NotAuthenticated,
        "a locked screen reads nothing"
    );
}
