use super::*;
use crate::audit_viewer::view_log;
use crate::auth::Actor;
use chrono::TimeZone;

fn event(n: u32) -> (String, String) {
    (format!("action.{n}"), format!("object:{n}"))
}

fn db_with_entries(count: u32) -> Database {
    let mut db = Database::open_in_memory().expect("database");
    let start = Utc
        .with_ymd_and_hms(2026, 11, 28, 9, 0, 0)
        .single()
        .expect("instant");
    for n in 0..count {
        let (action, object) = event(n);
        record_alone(
            &mut db,
            &Event {
                at: start + chrono::Duration::minutes(i64::from(n)),
                actor: "staff:tester",
                action: &action,
                object: &object,
                outcome: Outcome::Ok,
                detail: "",
            },
        )
        .expect("recorded");
    }
    db
}

/// Tampering needs the triggers gone, as an attacker with raw SQL access would do.
fn without_triggers(db: &Database, sql: &str) {
    db.conn()
        .execute_batch(&format!(
            "DROP TRIGGER audit_log_refuses_update; DROP TRIGGER audit_log_refuses_delete; {sql}"
        ))
        .expect("tampering succeeds");
}

#[test]
fn an_untouched_chain_verifies() {
    let db = db_with_entries(5);
    let report = verify(&db).expect("verify");
    assert_eq!(
        report,
        VerifyReport {
            entries: 5,
            first_broken: None
        },
        "five intact entries"
    );
}

#[test]
fn the_log_refuses_updates_and_deletes() {
    let db = db_with_entries(2);
    let update = db.conn().execute(
        "UPDATE audit_log SET actor = 'someone else' WHERE id = 1",
        [],
    );
    assert!(update.is_err(), "UPDATE is refused by a trigger");
    let delete = db.conn().execute("DELETE FROM audit_log WHERE id = 1", []);
    assert!(delete.is_err(), "DELETE is refused by a trigger");
    assert_eq!(
        verify(&db).expect("verify").first_broken,
        None,
        "the refused changes changed nothing"
    );
}

#[test]
fn an_edited_row_is_found() {
    let db = db_with_entries(5);
    without_triggers(
        &db,
        "UPDATE audit_log SET actor = 'staff:innocent' WHERE id = 3;",
    );
    let report = verify(&db).expect("verify");
    let broken = report.first_broken.expect("the edit is caught");
    assert_eq!(broken.id, 3, "the edited entry is named");
    assert!(broken.reason.contains("changed"), "{}", broken.reason);
    assert_eq!(
        report.entries, 2,
        "entries before the break are counted as good"
    );
}

#[test]
fn a_deleted_row_is_found() {
    let db = db_with_entries(5);
    without_triggers(&db, "DELETE FROM audit_log WHERE id = 2;");
    let broken = verify(&db)
        .expect("verify")
        .first_broken
        .expect("the deletion is caught");
    assert_eq!(broken.id, 2, "the missing entry is named");
    assert!(broken.reason.contains("missing"), "{}", broken.reason);
}

#[test]
fn a_rewritten_hash_is_still_caught_by_the_next_link() {
    let db = db_with_entries(4);
    // Recompute entry 2's own hash after editing it: the chain breaks at entry 3.
    let entries = storage::all(db.conn()).expect("entries");
    let second = &entries[1];
    let forged = entry_hash(
        &second.prev_hash,
        2,
        [
            &second.at,
            "staff:innocent",
            &second.action,
            &second.object,
            &second.result,
            &second.detail,
        ],
    );
    without_triggers(
        &db,
        &format!("UPDATE audit_log SET actor = 'staff:innocent', hash = '{forged}' WHERE id = 2;"),
    );
    let broken = verify(&db).expect("verify").first_broken.expect("caught");
    assert_eq!(
        broken.id, 3,
        "the next entry no longer points at the forged one"
    );
}

#[test]
fn filters_select_by_actor_action_and_time() {
    let db = db_with_entries(6);
    let filter = Filter {
        action: Some("action.4".into()),
        limit: 10,
        ..Default::default()
    };
    let found = list(&db, &filter).expect("list");
    assert_eq!(found.len(), 1, "one entry has that action");
    let from = Utc
        .with_ymd_and_hms(2026, 11, 28, 9, 2, 0)
        .single()
        .expect("instant");
    let filter = Filter {
        from: Some(from),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        list(&db, &filter).expect("list").len(),
        4,
        "entries from 09:02 on"
    );
    let filter = Filter {
        actor: Some("staff:nobody".into()),
        limit: 10,
        ..Default::default()
    };
    assert!(
        list(&db, &filter).expect("list").is_empty(),
        "no entries for an unknown actor"
    );
}

mod viewer {
    use super::*;
    use crate::audit_viewer::{verify_log, view_log};
    use crate::auth::Actor;
    use crate::auth::{self, NewStaff, Role, Session};
    use crate::clock::FixedClock;
    use crate::error::ErrorCode;

    const PASSWORD: &str = "orchard lantern pebble violin";

    struct Office {
        db: Database,
        clock: FixedClock,
        admin: Session,
    }

    /// A center in Boston whose log starts at 23:55 local time on 27 November 2026.
    fn office() -> Office {
        let mut db = Database::open_in_memory().expect("database");
        let clock = FixedClock::new(
            Utc.with_ymd_and_hms(2026, 11, 28, 4, 55, 0)
                .single()
                .expect("instant"),
        );
        let admin =
            auth::create_first_admin(&mut db, &clock, "admin", "Avery Admin", PASSWORD, PASSWORD)
                .expect("first admin");
        Office { db, clock, admin }
    }

    impl Office {
        fn person(&mut self, username: &str, roles: &[Role]) -> Session {
            let new = NewStaff {
                username: username.into(),
                display_name: format!("Person {username}"),
                roles: roles.to_vec(),
                password: PASSWORD.into(),
            };
            auth::create_staff(
                &mut self.db,
                &self.clock,
                &mut Actor::Staff(&mut self.admin),
                &new,
            )
            .expect("created");
            auth::testing::first_login(&mut self.db, &self.clock, username, PASSWORD)
                .expect("logs in")
        }

        fn entry_count(&self) -> usize {
            let all = Filter {
                limit: 5000,
                ..Default::default()
            };
            list(&self.db, &all).expect("list").len()
        }

        fn view(&mut self, query: LogQuery) -> Result<LogPage> {
            view_log(
                &mut self.db,
                &self.clock,
                &mut Actor::Staff(&mut self.admin),
                &query,
            )
        }
    }

    fn on(from: &str, to: &str) -> LogQuery {
        LogQuery {
            from: Some(from.into()),
            to: Some(to.into()),
            ..Default::default()
        }
    }

    #[test]
    fn supervisors_and_administrators_view_the_log_and_others_are_refused() {
        let mut o = office();
        let mut supervisor = o.person("sam", &[Role::Supervisor]);
        let page = view_log(
            &mut o.db,
            &o.clock,
            &mut Actor::Staff(&mut supervisor),
            &LogQuery::default(),
        )
        .expect("supervisors may look");
        assert!(
            page.lines
                .iter()
                .any(|line| line.action == "login" && line.object == "sam"),
            "the supervisor's own login is listed"
        );
        for role in [Role::FrontDesk, Role::Nurse] {
            let mut session = o.person(&format!("only_{}", role.as_str()), &[role]);
            let err = view_log(
                &mut o.db,
                &o.clock,
                &mut Actor::Staff(&mut session),
                &LogQuery::default(),
            )
            .expect_err("not for this role");
            assert_eq!(err.code, ErrorCode::PermissionDenied, "{role:?} is refused");
            let err = verify_log(&mut o.db, &o.clock, &mut Actor::Staff(&mut session))
                .expect_err("not for this role");
            assert_eq!(
                err.code,
                ErrorCode::PermissionDenied,
                "{role:?} cannot verify"
            );
        }
        let report = verify_log(&mut o.db, &o.clock, &mut Actor::Staff(&mut supervisor))
            .expect("supervisors may verify");
        assert!(report.first_broken.is_none(), "an untouched log is intact");
        let page = o.view(LogQuery::default()).expect("admin looks");
        let newest: Vec<&str> = page
            .lines
            .iter()
            .take(2)
            .map(|line| line.action.as_str())
            .collect();
        assert_eq!(
            newest,
            ["audit.verify", "permission.refused"],
            "looking and verifying are logged, newest first"
        );
        assert!(
            page.lines
                .iter()
                .any(|line| line.action == "audit.view" && line.actor == "staff:sam"),
            "the supervisor's look is in the log"
        );
    }

    #[test]
    fn dates_are_the_centers_local_days_and_times_are_shown_on_its_clock() {
        let mut o = office();
        // 23:55 on the 27th in Boston: the first admin was created then.
        o.clock.advance(chrono::Duration::minutes(9)); // 00:04 on the 28th
        o.person("pat", &[Role::FrontDesk]);
        let day_27 = o.view(on("2026-11-27", "2026-11-27")).expect("27th");
        assert!(
            day_27
                .lines
                .iter()
                .any(|line| line.action == "staff.create_first_admin"),
            "the late-evening entry belongs to the 27th although it is the 28th in UTC"
        );
        assert!(
            !day_27.lines.iter().any(|line| line.object == "staff:pat"),
            "the 28th's entries are not on the 27th"
        );
        let first = day_27.lines.last().expect("an entry");
        assert_eq!(
            first.at_local, "2026-11-27 23:55:00",
            "times are the center's wall clock"
        );
        assert_eq!(day_27.time_zone, "America/New_York", "the zone is named");
        let day_28 = o.view(on("2026-11-28", "2026-11-28")).expect("28th");
        assert!(
            day_28.lines.iter().any(|line| line.object == "staff:pat"),
            "the account created after midnight is on the 28th"
        );
    }

    #[test]
    fn filters_by_actor_and_action_and_offers_their_values() {
        let mut o = office();
        o.person("pat", &[Role::FrontDesk]);
        let _ = auth::login(&mut o.db, &o.clock, "pat", "wrong password here");
        let page = o
            .view(LogQuery {
                action: Some("login".into()),
                ..Default::default()
            })
            .expect("by action");
        assert!(
            page.lines.iter().all(|line| line.action == "login"),
            "only logins"
        );
        assert!(
            page.lines.iter().any(|line| line.result == "failed"),
            "the failure is among them"
        );
        let page = o
            .view(LogQuery {
                actor: Some("staff:admin".into()),
                ..Default::default()
            })
            .expect("by actor");
        assert!(!page.lines.is_empty(), "the administrator did things");
        assert!(
            page.lines.iter().all(|line| line.actor == "staff:admin"),
            "only the administrator"
        );
        assert!(
            page.actors.contains(&"anonymous".to_string()),
            "login attempts are offered as an actor"
        );
        assert!(
            page.actions.contains(&"staff.create".to_string()),
            "actions are offered"
        );
        let mut sorted = page.actions.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(page.actions, sorted, "choices are distinct and sorted");
    }

    #[test]
    fn a_long_log_is_cut_at_the_view_limit_and_says_so() {
        let mut o = office();
        for n in 0..VIEW_LIMIT {
            let _ = auth::login(
                &mut o.db,
                &o.clock,
                &format!("nobody{n}"),
                "wrong password here",
            );
        }
        let page = o.view(LogQuery::default()).expect("view");
        assert_eq!(
            page.lines.len(),
            VIEW_LIMIT as usize,
            "at most the limit is shown"
        );
        assert!(page.truncated, "the page says there is more");
        let page = o
            .view(LogQuery {
                action: Some("staff.create_first_admin".into()),
                ..Default::default()
            })
            .expect("narrow");
        assert!(!page.truncated, "a narrow filter fits");
    }

    #[test]
    fn bad_filters_are_refused_with_the_field_named_and_nothing_logged() {
        let mut o = office();
        let before = o.entry_count();
        let cases: Vec<(LogQuery, &str)> = vec![
            (on("2026-11-30", "2026-11-01"), "to:"),
            (on("yesterday", "2026-11-01"), "from:"),
            (on("2026-11-01", "2026-02-30"), "to:"),
            (on("1900-01-01", "2026-11-01"), "from:"),
            (on("'; DELETE FROM audit_log; --", ""), "from:"),
            (
                LogQuery {
                    actor: Some("x".repeat(10_000)),
                    ..Default::default()
                },
                "actor:",
            ),
            (
                LogQuery {
                    action: Some("y".repeat(201)),
                    ..Default::default()
                },
                "action:",
            ),
        ];
        for (query, field) in cases {
            let err = o.view(query.clone()).expect_err("refused");
            assert_eq!(err.code, ErrorCode::InvalidInput, "{query:?}");
            assert!(
                err.message.starts_with(field),
                "{field} is named: {}",
                err.message
            );
        }
        let after = o.entry_count();
        assert_eq!(after, before, "refused queries add nothing to the log");
        let odd = o
            .view(LogQuery {
                actor: Some("staff:admin' OR '1'='1\u{202e}\u{0}".into()),
                from: Some("  ".into()),
                ..Default::default()
            })
            .expect("odd text is only text");
        assert!(odd.lines.is_empty(), "SQL-looking text matches nothing");
        let look = list(
            &o.db,
            &Filter {
                limit: 1,
                ..Default::default()
            },
        )
        .expect("list");
        assert!(
            !look[0].detail.contains('\u{0}'),
            "control characters are left out of the log's description of the query"
        );
    }
}

#[test]
fn typed_control_and_direction_characters_are_escaped_in_the_log() {
    let mut db = Database::open_in_memory().expect("database");
    let at = Utc
        .with_ymd_and_hms(2026, 11, 28, 9, 0, 0)
        .single()
        .expect("instant");
    record_alone(
        &mut db,
        &Event {
            at,
            actor: "os:root",
            action: "login",
            // U+001F is the hash's field separator: "x" + separator + "ok" must not be
            // readable as the object "x" with the result "ok".
            object: "staff:x\u{1f}ok\u{202e}",
            outcome: Outcome::Refused,
            detail: "line\nbreak",
        },
    )
    .expect("recorded");
    let entries = list(
        &db,
        &Filter {
            from: None,
            to: None,
            actor: None,
            action: None,
            limit: 10,
        },
    )
    .expect("entries");
    let entry = entries.first().expect("one entry");
    assert_eq!(
        entry.object, "staff:x\\u{1f}ok\\u{202e}",
        "control and direction characters are stored as visible escapes"
    );
    assert_eq!(entry.detail, "line\\u{a}break", "line breaks too");
    assert_eq!(
        verify(&db).expect("verifies").first_broken,
        None,
        "the escaped entry is what the chain covers"
    );
}

/// A morning with clinical events of every kind: a queue reason, an incident with naloxone,
/// a clinical note written and read, a sensitive referral with its consent and status.
#[test]
fn clinical_details_in_the_viewer_are_for_roles_with_the_clinical_permission_only() {
    use crate::auth::Role;
    use crate::queue::{self, incidents, JoinInput, Priority, QueueState};
    use crate::referrals::{self, ConsentInput, PartnerInput, ReferralInput, ReferralStatus};

    let mut d = crate::guests::tests::desk();
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let mut nina = d.person("nina", &[Role::Nurse]);
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let mut both = d.person("ada", &[Role::Admin, Role::Supervisor]);
    let sunny = d.arrive(&mut pat, "Sunny");
    let joined = queue::join(
        &mut d.db,
        &d.clock,
        &mut pat,
        &JoinInput {
            guest_id: sunny.id,
            reason: "wound_care".into(),
            priority: Priority::Urgent,
            note: None,
        },
    )
    .expect("joins");
    queue::call_next(&mut d.db, &d.clock, &mut nina, 1).expect("called");
    queue::change(
        &mut d.db,
        &d.clock,
        &mut nina,
        joined.line.id,
        QueueState::InService,
        None,
    )
    .expect("in service");
    queue::add_note(
        &mut d.db,
        &d.clock,
        &mut nina,
        joined.line.id,
        "Abscess.",
        None,
    )
    .expect("note");
    queue::read_notes(&mut d.db, &d.clock, &mut sam, joined.line.id).expect("read");
    incidents::record(
        &mut d.db,
        &d.clock,
        &mut nina,
        &incidents::IncidentInput {
            kind: incidents::IncidentKind::Overdose,
            occurred: None,
            naloxone_doses: "2".into(),
            ems_called: true,
            outcome: incidents::IncidentOutcome::Transported,
            guest_code: Some(sunny.code.clone()),
            note: None,
        },
    )
    .expect("incident");
    let partner = referrals::save_partner(
        &mut d.db,
        &d.clock,
        &mut sam,
        &PartnerInput {
            id: None,
            name: "Bay Treatment Center".into(),
            on_site: false,
            on_site_days: String::new(),
            active: true,
        },
    )
    .expect("partner");
    let detox = referrals::make(
        &mut d.db,
        &d.clock,
        &mut nina,
        &ReferralInput {
            guest_id: sunny.id,
            category: "sud_detox".into(),
            partner_id: partner,
            follow_up_date: None,
            note: None,
        },
    )
    .expect("referral");
    referrals::record_consent(
        &mut d.db,
        &d.clock,
        &mut nina,
        detox.id,
        &ConsentInput {
            information: "intake".into(),
            purpose: "admission".into(),
            agreed_on: None,
            expires_on: None,
        },
    )
    .expect("consent");
    referrals::change_status(
        &mut d.db,
        &d.clock,
        &mut nina,
        detox.id,
        ReferralStatus::Sent,
    )
    .expect("sent");
    referrals::open(&mut d.db, &d.clock, &mut sam, detox.id).expect("opened");

    let clinical_actions = [
        "queue.join",
        "clinical_note.write",
        "clinical_note.read",
        "incident.record",
        "referral.make",
        "consent.record",
        "referral.status",
        "referral.read",
    ];
    let facts = [
        "wound_care",
        "urgent",
        "overdose",
        "naloxone",
        "sensitive",
        "transported",
        &format!("referral:{}", detox.id),
    ];
    let admin_page = view_log(
        &mut d.db,
        &d.clock,
        &mut Actor::Staff(&mut d.admin),
        &LogQuery::default(),
    )
    .expect("the administrator looks");
    for action in clinical_actions {
        let lines: Vec<&LogLine> = admin_page
            .lines
            .iter()
            .filter(|line| line.action == action)
            .collect();
        assert!(
            !lines.is_empty(),
            "the administrator sees that {action} happened"
        );
        for line in lines {
            assert!(
                line.restricted && line.object.is_empty() && line.detail == "details restricted",
                "the administrator sees {action} with its actor and time only: {line:?}"
            );
            assert!(
                !line.actor.is_empty() && !line.at_local.is_empty(),
                "who and when stay"
            );
        }
    }
    let json = serde_json::to_string(&admin_page.lines).expect("json");
    for fact in facts {
        assert!(
            !json.contains(fact),
            "no clinical fact ({fact:?}) reaches the administrator: {json}"
        );
    }
    assert!(
        admin_page
            .lines
            .iter()
            .any(|line| line.action == "visit.check_in" && !line.restricted),
        "entries without clinical facts are shown whole"
    );

    for (who, session) in [
        ("a supervisor", &mut sam),
        ("an admin who is also a supervisor", &mut both),
    ] {
        let page = view_log(
            &mut d.db,
            &d.clock,
            &mut Actor::Staff(session),
            &LogQuery::default(),
        )
        .unwrap_or_else(|e| panic!("{who} looks: {}", e.message));
        assert!(
            page.lines.iter().all(|line| !line.restricted),
            "{who} holds the clinical permission and reads every detail"
        );
        let incident = page
            .lines
            .iter()
            .find(|line| line.action == "incident.record")
            .expect("the incident");
        assert!(
            incident.detail.contains("naloxone=2") && incident.detail.contains("overdose"),
            "{who} reads the incident's details: {incident:?}"
        );
    }
    assert!(
        verify(&d.db).expect("verify").first_broken.is_none(),
        "the chain still covers the full text"
    );
}
