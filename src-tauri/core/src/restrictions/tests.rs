use super::*;
use crate::auth::Role;
use crate::guests::tests::desk;
use crate::visits;
use chrono::Duration;

fn flag(code: &str, kind: FlagKind, scope: Option<Scope>, ends_on: Option<&str>) -> NewFlag {
    NewFlag {
        guest_code: code.into(),
        kind,
        scope,
        reason: "fight in the courtyard on 27 Nov".into(),
        starts_on: None,
        ends_on: ends_on.map(str::to_string),
    }
}

/// Sunny, who came in and left again.
fn came_and_left(
    d: &mut crate::guests::tests::Desk,
    pat: &mut Session,
) -> crate::guests::GuestCard {
    let guest = d.arrive(pat, "Sunny");
    visits::check_out(&mut d.db, &d.clock, pat, guest.open_visit_id.unwrap()).expect("out");
    guest
}

#[test]
fn a_building_restriction_blocks_check_in_until_its_end_date_then_stops_by_itself() {
    let mut d = desk();
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let guest = came_and_left(&mut d, &mut pat);
    let recorded = record(
        &mut d.db,
        &d.clock,
        &mut sam,
        &flag(
            &guest.code,
            FlagKind::Restriction,
            Some(Scope::Building),
            Some("2026-11-29"),
        ),
    )
    .expect("restricted until tomorrow");
    assert!(recorded.warning.is_none(), "an end date needs no warning");

    let err =
        visits::check_in(&mut d.db, &d.clock, &mut pat, guest.id, false).expect_err("blocked");
    assert_eq!(err.code, ErrorCode::Conflict, "{}", err.message);
    assert!(
        err.message
            .contains("restricted from the building until 2026-11-29: fight in the courtyard"),
        "the message says what, until when and why: {}",
        err.message
    );
    let err = visits::check_in(&mut d.db, &d.clock, &mut sam, guest.id, true)
        .expect_err("not even over capacity");
    assert_eq!(err.code, ErrorCode::Conflict, "{}", err.message);

    d.clock.advance(Duration::hours(24));
    let mut pat =
        auth::login(&mut d.db, &d.clock, "pat", "orchard lantern pebble violin").expect("next day");
    visits::check_in(&mut d.db, &d.clock, &mut pat, guest.id, false)
        .expect_err("still the 29th: the end date is included");
    d.clock.advance(Duration::hours(24));
    let mut pat = auth::login(&mut d.db, &d.clock, "pat", "orchard lantern pebble violin")
        .expect("day after");
    visits::check_in(&mut d.db, &d.clock, &mut pat, guest.id, false).expect("expired on its own");
}

#[test]
fn alerts_and_service_restrictions_are_shown_at_check_in_but_do_not_block_it() {
    let mut d = desk();
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let guest = came_and_left(&mut d, &mut pat);
    let alert = record(
        &mut d.db,
        &d.clock,
        &mut sam,
        &flag(&guest.code, FlagKind::Alert, None, None),
    )
    .expect("alert");
    assert!(
        alert
            .warning
            .as_deref()
            .unwrap_or("")
            .contains("no end date"),
        "an open-ended flag is warned about"
    );
    record(
        &mut d.db,
        &d.clock,
        &mut sam,
        &flag(
            &guest.code,
            FlagKind::Restriction,
            Some(Scope::Showers),
            Some("2026-12-31"),
        ),
    )
    .expect("shower restriction");
    let found = visits::lookup(&mut d.db, &d.clock, &mut pat, &guest.code).expect("lookup");
    assert_eq!(found.flags.len(), 2, "both show before check-in");
    let checked =
        visits::check_in(&mut d.db, &d.clock, &mut pat, guest.id, false).expect("allowed in");
    assert_eq!(
        checked.flags.iter().map(|f| f.kind).collect::<Vec<_>>(),
        vec![FlagKind::Restriction, FlagKind::Alert],
        "restrictions first, then alerts"
    );
    let err = restrictions_refuse_showers(&checked.flags);
    assert!(
        err.contains("restricted from the showers until 2026-12-31"),
        "{err}"
    );

    lift(&mut d.db, &d.clock, &mut sam, alert.flag.id).expect("lifted");
    let err = lift(&mut d.db, &d.clock, &mut sam, alert.flag.id).expect_err("already lifted");
    assert_eq!(err.code, ErrorCode::NotFound, "{}", err.message);
    let found = visits::lookup(&mut d.db, &d.clock, &mut pat, &guest.code).expect("lookup");
    assert_eq!(found.flags.len(), 1, "a lifted alert no longer shows");
    let log: i64 = d.count("SELECT count(*) FROM audit_log WHERE action IN ('guest.alert', 'guest.restriction', 'guest.flag_lifted')");
    assert_eq!(log, 3, "alert, restriction and lift are audited");
}

fn restrictions_refuse_showers(flags: &[Flag]) -> String {
    refuse_if_restricted(flags, Scope::Showers, "Sunny")
        .expect_err("restricted")
        .message
}

#[test]
fn only_supervisors_record_and_lift_and_bad_input_changes_nothing() {
    let mut d = desk();
    let mut sam = d.person("sam", &[Role::Supervisor]);
    let mut pat = d.person("pat", &[Role::FrontDesk]);
    let guest = d.arrive(&mut pat, "Sunny");
    let err = record(
        &mut d.db,
        &d.clock,
        &mut pat,
        &flag(&guest.code, FlagKind::Alert, None, None),
    )
    .expect_err("front desk cannot");
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{}", err.message);

    let mut cases: Vec<(NewFlag, &str)> = vec![
        (flag("K0M-4QX", FlagKind::Alert, None, None), "code:"),
        (
            flag(&guest.code, FlagKind::Alert, Some(Scope::Showers), None),
            "applies to:",
        ),
        (
            flag(&guest.code, FlagKind::Restriction, None, None),
            "applies to:",
        ),
        (
            flag(&guest.code, FlagKind::Alert, None, Some("2026-02-30")),
            "ends:",
        ),
        (
            flag(&guest.code, FlagKind::Alert, None, Some("2026-11-01")),
            "ends:",
        ),
    ];
    let mut empty = flag(&guest.code, FlagKind::Alert, None, None);
    empty.reason = "   ".into();
    cases.push((empty, "reason:"));
    let mut huge = flag(&guest.code, FlagKind::Alert, None, None);
    huge.reason = "x".repeat(501);
    cases.push((huge, "reason:"));
    let mut control = flag(&guest.code, FlagKind::Alert, None, None);
    control.reason = "bad\u{0}reason".into();
    cases.push((control, "reason:"));
    let mut backwards = flag(&guest.code, FlagKind::Alert, None, Some("2026-12-01"));
    backwards.starts_on = Some("2026-12-05".into());
    cases.push((backwards, "ends:"));
    for (new, field) in cases {
        let err = record(&mut d.db, &d.clock, &mut sam, &new).expect_err("refused");
        assert!(
            err.message.starts_with(field),
            "{field} for {new:?}: {}",
            err.message
        );
    }
    assert_eq!(
        d.count("SELECT count(*) FROM guest_flags"),
        0,
        "nothing was written"
    );
    let sql_looking = NewFlag {
        reason: "'); DELETE FROM guests; --".into(),
        ..flag(&guest.code, FlagKind::Alert, None, None)
    };
    record(&mut d.db, &d.clock, &mut sam, &sql_looking).expect("SQL-looking text is only text");
    assert_eq!(
        d.count("SELECT count(*) FROM guests"),
        1,
        "and deletes nothing"
    );
}
