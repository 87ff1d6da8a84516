//! Demo data: years of a busy center's activity, simulated day by day, for training,
//! screenshots and the benchmarks (`engagement-desk demo`).
//!
//! The simulation is deterministic for a seed and an end instant: every choice comes from
//! one seeded generator, and the clock is the plan's, never the machine's. Only the staff
//! passwords are random (from the operating system), since a demo database may be used to
//! train people on a shared machine; they are returned once, in the summary.
//!
//! Rows are written in their final state, day by day, with an audit entry for everything
//! staff did, in time order, so `check` and `audit verify` pass on the result and the audit
//! log is as long as a real center's.

mod storage;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
use serde::Serialize;

use crate::audit::{self, Event};
use crate::auth::{self, Role};
use crate::clock::FixedClock;
use crate::db::{self, Database, OpenOptions, Schema};
use crate::error::{AppError, ErrorCode, Result};
use crate::guests::code;
use crate::{days, queue};
use storage::Step;

/// The longest history the generator makes (ten years is ~1.1 million visits).
pub const MAX_YEARS: u32 = 10;
/// The building capacity demo databases use: a center with 300 visits a day is a big one.
pub const DEMO_CAPACITY: u32 = 90;

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoPlan {
    /// Years of history, 1 to [`MAX_YEARS`]; a year is 365 days ending with the last day.
    pub years: u32,
    pub seed: u64,
    /// The simulated "now": its center-local date is the last day, which is left open (not
    /// closed out) with what happened up to this instant.
    pub until: DateTime<Utc>,
}

/// A staff account made for the demo, with its password (shown once, never stored).
#[derive(Debug, Clone, Serialize)]
pub struct DemoStaff {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
}

/// How much of everything was made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DemoCounts {
    pub days: u64,
    pub closed_days: u64,
    pub guests: u64,
    pub visits: u64,
    pub anonymous_tallies: u64,
    pub bookings: u64,
    pub no_shows: u64,
    pub cancellations: u64,
    pub waitlist: u64,
    pub queue_entries: u64,
    pub clinical_notes: u64,
    pub referrals: u64,
    pub consents: u64,
    pub incidents: u64,
    pub flags: u64,
    pub audit_entries: u64,
}

/// What `generate` made.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub counts: DemoCounts,
    pub staff: Vec<DemoStaff>,
}

/// Reported after each simulated week.
#[derive(Debug, Clone, Copy)]
pub struct DemoProgress {
    pub day: NaiveDate,
    pub days_done: u64,
    pub days_total: u64,
}

/// Fill a new (or empty) database at `path` with `plan`'s history. A database that holds
/// staff, guests or audit entries is refused and left as it was.
pub fn generate(
    path: &Path,
    plan: &DemoPlan,
    progress: &mut dyn FnMut(&DemoProgress),
) -> Result<DemoSummary> {
    if !(1..=MAX_YEARS).contains(&plan.years) {
        return Err(AppError::invalid_input(
            "years",
            format!("between 1 and {MAX_YEARS}"),
        ));
    }
    generate_days(path, plan, u64::from(plan.years) * 365, progress)
}

/// [`generate`] for a number of days (the unit tests simulate a few weeks).
pub(crate) fn generate_days(
    path: &Path,
    plan: &DemoPlan,
    days_total: u64,
    progress: &mut dyn FnMut(&DemoProgress),
) -> Result<DemoSummary> {
    let options = OpenOptions {
        clock: Arc::new(FixedClock::new(
            plan.until - Duration::days(days_total as i64),
        )),
    };
    // Looked at before anything is migrated or written: a database holding data (of any
    // schema version) is left byte for byte as it was, and a file that is not an
    // Engagement Desk database is refused by `inspect` without being touched.
    if let db::Inspection::Existing { .. } = db::inspect(path)? {
        if storage::holds_data(&db::open_existing(path)?)? {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "{} already holds data; demo data only goes into a new database",
                    path.display()
                ),
            ));
        }
    }
    let mut db = Database::open_with(path, &Schema::embedded()?, &options)?;
    let zone = days::center_zone(&db)?;
    let last_day = days::local_date(zone, plan.until);
    let first_day = last_day - Duration::days(days_total as i64 - 1);
    let mut sim = Simulation::start(&mut db, zone, plan, first_day)?;
    let mut date = first_day;
    let mut days_done = 0;
    while date <= last_day {
        let week_end = (date + Duration::days(6)).min(last_day);
        db.write(|tx| {
            let mut day = date;
            while day <= week_end {
                sim.simulate_day(tx, day, day == last_day)?;
                day += Duration::days(1);
            }
            Ok(())
        })?;
        days_done += (week_end - date).num_days() as u64 + 1;
        date = week_end + Duration::days(1);
        progress(&DemoProgress {
            day: week_end,
            days_done,
            days_total,
        });
    }
    db.write(|tx| storage::set_last_visits(tx))?;
    sim.counts.days = days_total;
    sim.counts.audit_entries = storage::audit_entries(db.conn())? as u64;
    // The write-ahead log grew with the weeks; fold it into the database file now.
    crate::audit::anchor_head(&mut db)?;
    db.conn()
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(DemoSummary {
        first_day,
        last_day,
        counts: sim.counts,
        staff: sim.staff_accounts,
    })
}

/// Staff who can appear in the simulation.
struct Person {
    id: i64,
    actor: String,
}

/// A registered guest: id and code.
type KnownGuest = (i64, String);

/// A guest who may come back: how likely on a given day, and until when.
struct Regular {
    /// `None` until their first visit registers them (the center's first-day population).
    id: Option<KnownGuest>,
    chance: f64,
    last_day: NaiveDate,
}

/// Someone at the center on the simulated day.
struct Visitor {
    regular: Option<usize>,
    guest_id: i64,
    code: String,
    new: Option<NewGuest>,
    arrives: DateTime<Utc>,
    leaves: DateTime<Utc>,
    voided: bool,
    visit_id: i64,
}

struct NewGuest {
    nickname: Option<String>,
    birth_year: Option<i64>,
    gender: i64,
    veteran: i64,
    language: Option<&'static str>,
}

/// An entry for the audit log, written in time order at the end of the day.
struct Entry {
    at: DateTime<Utc>,
    actor: String,
    action: String,
    object: String,
    detail: String,
}

/// A referral's later step, applied on the day it happens.
struct FollowUp {
    at: DateTime<Utc>,
    referral_id: i64,
    /// The audit marker for a sensitive referral (empty for others), as the app writes it.
    marker: &'static str,
    from: &'static str,
    to: &'static str,
}

struct Partner {
    id: i64,
    name: &'static str,
    on_site: bool,
    categories: &'static [&'static str],
}

struct Resource {
    id: i64,
    name: String,
    slot: Duration,
    buffer: Duration,
}

struct Simulation {
    rng: Pcg64Mcg,
    zone: Tz,
    until: DateTime<Utc>,
    desk: Vec<Person>,
    nurses: Vec<Person>,
    supervisors: Vec<Person>,
    staff_accounts: Vec<DemoStaff>,
    regulars: Vec<Regular>,
    /// Guests with a visit that was not undone so far: a guest is new on the day of
    /// their first one (a registration whose check-in was undone is not).
    counted: HashSet<i64>,
    codes: HashSet<String>,
    partners: Vec<Partner>,
    resources: Vec<(&'static str, f64, Vec<Resource>)>,
    stations: Vec<(i64, String)>,
    follow_ups: Vec<FollowUp>,
    day_number: u64,
    counts: DemoCounts,
}

/// Staff accounts: (username, display name, role).
const STAFF: [(&str, &str, Role); 9] = [
    ("admin", "Avery (admin)", Role::Admin),
    ("sam", "Sam Supervisor", Role::Supervisor),
    ("nina", "Nina Nurse", Role::Nurse),
    ("noah", "Noah Nurse", Role::Nurse),
    ("frank", "Frank", Role::FrontDesk),
    ("fatima", "Fatima", Role::FrontDesk),
    ("felix", "Felix", Role::FrontDesk),
    ("farah", "Farah", Role::FrontDesk),
    ("sky", "Sky Supervisor", Role::Supervisor),
];

const PARTNERS: [(&str, bool, &[&str]); 10] = [
    (
        "Harbor Detox Center",
        false,
        &["sud_detox", "sud_residential"],
    ),
    (
        "Eastside Outpatient Clinic",
        false,
        &["sud_outpatient", "sud_moud", "medical"],
    ),
    ("Bridge MOUD Program", false, &["sud_moud"]),
    (
        "Recovery coaches (on site)",
        true,
        &["recovery_coach", "sud_outpatient"],
    ),
    ("Northside Mental Health", false, &["mental_health"]),
    (
        "Street Medicine Team (on site)",
        true,
        &["medical", "testing", "mental_health"],
    ),
    (
        "County Housing Navigation",
        false,
        &["housing_advocate", "shelter"],
    ),
    (
        "Housing advocate (on site)",
        true,
        &["housing_advocate", "shelter"],
    ),
    ("Legal Aid ID Clinic", false, &["id_documents", "benefits"]),
    (
        "Benefits desk (on site)",
        true,
        &["benefits", "id_documents", "other"],
    ),
];

const CATEGORIES: [(&str, u32); 13] = [
    ("sud_detox", 6),
    ("sud_outpatient", 6),
    ("sud_moud", 8),
    ("sud_residential", 3),
    ("recovery_coach", 8),
    ("mental_health", 7),
    ("medical", 10),
    ("testing", 8),
    ("housing_advocate", 14),
    ("shelter", 10),
    ("id_documents", 9),
    ("benefits", 8),
    ("other", 3),
];

/// [`crate::audit::SENSITIVE_MARKER`] with a space before it, as the app adds it to details.
const SENSITIVE_SUFFIX: &str = " sensitive";

/// [`SENSITIVE_SUFFIX`] for the categories the app treats as sensitive (42 CFR Part 2 and
/// clinical: the first eight of [`CATEGORIES`]), "" for the others.
fn referral_marker(category: &str) -> &'static str {
    let general = [
        "housing_advocate",
        "shelter",
        "id_documents",
        "benefits",
        "other",
    ];
    if general.contains(&category) {
        ""
    } else {
        SENSITIVE_SUFFIX
    }
}

const QUEUE_REASONS: [(&str, u32); 6] = [
    ("wound_care", 30),
    ("medication", 15),
    ("testing", 15),
    ("overdose_follow_up", 5),
    ("general_health", 30),
    ("other", 5),
];

const NICKNAMES: [&str; 64] = [
    "Mike", "Marcus", "Maria", "Mary", "Mo", "Manny", "Jay", "Jamal", "James", "Jen", "Jess",
    "Joe", "Jo", "Tony", "Tina", "Terry", "Tasha", "Dee", "Danny", "Dave", "Dolores", "Chris",
    "Carla", "Carlos", "Cece", "Rob", "Rosa", "Ray", "Rita", "Sam", "Sarah", "Sonny", "Steve",
    "Lou", "Lisa", "Luis", "Lena", "Ben", "Bobby", "Bea", "Kev", "Kim", "Kat", "Pat", "Paulo",
    "Nate", "Nia", "Ana", "Andre", "Ali", "Eddie", "Elena", "Gabe", "Gina", "Hank", "Hope", "Ivy",
    "Omar", "Otis", "Vic", "Will", "Yolanda", "Zeke", "Tío",
];
const NICKNAME_PREFIXES: [&str; 8] = [
    "Big ", "Little ", "Red ", "Doc ", "Lucky ", "Slim ", "Ol' ", "Sunny ",
];
const LANGUAGES: [&str; 4] = ["Spanish", "Haitian Creole", "Portuguese", "Vietnamese"];

const NURSE_NOTES: [&str; 6] = [
    "Wound cleaned and dressed; return in two days for a dressing change.",
    "Blood pressure checked, within range. Discussed hydration.",
    "Rapid HIV and HCV tests offered; guest accepted, results given on site.",
    "Follow-up after an overdose last week: feeling better, took a naloxone kit.",
    "Foot care and clean socks; advised to keep feet dry.",
    "Medication reminder set up with the guest's pharmacy.",
];
const REFERRAL_NOTES: [&str; 4] = [
    "Guest asked for a morning appointment; gave the partner's address and bus route.",
    "Called the partner with the guest present; intake is next week.",
    "Guest would like a reminder at the desk the day before.",
    "Partner asked for ID; guest is working on it with the benefits desk.",
];
const ALERTS: [&str; 4] = [
    "Has mail waiting at the desk",
    "Case manager asked to be called when the guest comes in",
    "Prefers to be called by nickname only",
    "Left a bag in storage",
];
const RESTRICTIONS: [&str; 3] = [
    "Conflict in the lobby; talk with a supervisor before entry",
    "Damaged shower fixtures",
    "Misuse of the workstation",
];

fn pick<'a, T>(rng: &mut Pcg64Mcg, weighted: &'a [(T, u32)]) -> &'a T {
    let total: u32 = weighted.iter().map(|(_, weight)| weight).sum();
    let mut roll = rng.random_range(0..total);
    for (item, weight) in weighted {
        if roll < *weight {
            return item;
        }
        roll -= weight;
    }
    &weighted[weighted.len() - 1].0
}

fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

/// A demo password: four groups of four characters from the code alphabet, from the
/// operating system's generator (not the seed).
fn demo_password() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut groups = Vec::with_capacity(4);
    for _ in 0..4 {
        let group: String = (0..4)
            .map(|_| {
                let index = (OsRng.next_u32() % code::ALPHABET.len() as u32) as usize;
                char::from(code::ALPHABET[index])
            })
            .collect();
        groups.push(group);
    }
    format!("desk-{}", groups.join("-"))
}

impl Simulation {
    fn start(
        db: &mut Database,
        zone: Tz,
        plan: &DemoPlan,
        first_day: NaiveDate,
    ) -> Result<Simulation> {
        let set_up_at = local(zone, first_day, 7, 0) - Duration::days(1);
        let mut staff_accounts = Vec::new();
        let mut people: Vec<(Role, Person)> = Vec::new();
        // Hashing is slow on purpose (Argon2id), so it happens before the transaction.
        let mut hashed = Vec::new();
        for (username, display_name, role) in STAFF {
            let password = demo_password();
            hashed.push(auth::password::hash(&password)?);
            staff_accounts.push(DemoStaff {
                username: username.to_string(),
                display_name: display_name.to_string(),
                role,
                password,
            });
        }
        let (partners, resources, stations) = db.write(|tx| {
            for ((username, display_name, role), hash) in STAFF.iter().zip(&hashed) {
                let id = auth::insert_training_account(
                    tx,
                    username,
                    display_name,
                    hash,
                    *role,
                    set_up_at,
                )?;
                let object = format!("staff:{username}");
                audit::record(
                    tx,
                    &Event::ok(set_up_at, "os:demo", "staff.create", &object, role.as_str()),
                )?;
                people.push((*role, Person { id, actor: object }));
            }
            storage::set_setting(
                tx,
                "building_capacity",
                &DEMO_CAPACITY.to_string(),
                set_up_at,
            )?;
            audit::record(
                tx,
                &Event::ok(
                    set_up_at,
                    "os:demo",
                    "settings.building_capacity",
                    "building_capacity",
                    &DEMO_CAPACITY.to_string(),
                ),
            )?;
            let mut partners = Vec::new();
            for (name, on_site, categories) in PARTNERS {
                let days = if on_site { "12345" } else { "" };
                let id = storage::insert_partner(tx, name, on_site, days)?;
                audit::record(
                    tx,
                    &Event::ok(
                        set_up_at,
                        "os:demo",
                        "partner.save",
                        &format!("partner:{id}"),
                        name,
                    ),
                )?;
                partners.push(Partner {
                    id,
                    name,
                    on_site,
                    categories,
                });
            }
            let mut resources = Vec::new();
            for (kind, share) in [("shower", 0.27), ("computer", 0.14), ("phone", 0.06)] {
                let of_kind = storage::resources_of(tx, kind)?
                    .into_iter()
                    .map(|(id, name, slot, buffer)| Resource {
                        id,
                        name,
                        slot: minutes(slot),
                        buffer: minutes(buffer),
                    })
                    .collect();
                resources.push((kind, share, of_kind));
            }
            Ok((partners, resources, storage::station_ids(tx)?))
        })?;
        let of_role = |wanted: Role, people: &mut Vec<(Role, Person)>| {
            let (chosen, rest): (Vec<_>, Vec<_>) = std::mem::take(people)
                .into_iter()
                .partition(|(role, _)| *role == wanted);
            *people = rest;
            chosen
                .into_iter()
                .map(|(_, person)| person)
                .collect::<Vec<_>>()
        };
        let desk = of_role(Role::FrontDesk, &mut people);
        let nurses = of_role(Role::Nurse, &mut people);
        let supervisors = of_role(Role::Supervisor, &mut people);
        let mut sim = Simulation {
            rng: Pcg64Mcg::seed_from_u64(plan.seed),
            zone,
            until: plan.until,
            desk,
            nurses,
            supervisors,
            staff_accounts,
            regulars: Vec::new(),
            counted: HashSet::new(),
            codes: HashSet::new(),
            partners,
            resources,
            stations,
            follow_ups: Vec::new(),
            day_number: 0,
            counts: DemoCounts::default(),
        };
        sim.counts.guests = 0;
        Ok(sim)
    }

    fn new_code(&mut self) -> String {
        loop {
            let mut data: Vec<u8> = (0..code::CODE_LEN - 1)
                .map(|_| code::ALPHABET[self.rng.random_range(0..code::ALPHABET.len())])
                .collect();
            data.push(code::check_char(&data));
            let text = String::from_utf8_lossy(&data).into_owned();
            if self.codes.insert(text.clone()) {
                return text;
            }
        }
    }

    fn new_guest(&mut self) -> NewGuest {
        let rng = &mut self.rng;
        let nickname = rng.random_bool(0.8).then(|| {
            let name = NICKNAMES[rng.random_range(0..NICKNAMES.len())];
            if rng.random_bool(0.15) {
                format!(
                    "{}{name}",
                    NICKNAME_PREFIXES[rng.random_range(0..NICKNAME_PREFIXES.len())]
                )
            } else {
                name.to_string()
            }
        });
        NewGuest {
            nickname,
            birth_year: rng.random_bool(0.6).then(|| rng.random_range(1950..2006)),
            gender: *pick(rng, &[(1, 60), (0, 30), (4, 3), (5, 2), (99, 5)]),
            veteran: *pick(rng, &[(0, 80), (1, 8), (99, 12)]),
            language: rng
                .random_bool(0.12)
                .then(|| LANGUAGES[rng.random_range(0..LANGUAGES.len())]),
        }
    }

    /// How likely a new guest is to come back on a given day, and for how long: most come
    /// once, some now and then, a few nearly every day for years.
    fn new_regular_pattern(&mut self, date: NaiveDate) -> (f64, NaiveDate) {
        let rng = &mut self.rng;
        let roll = rng.random_range(0..100);
        if roll < 54 {
            (0.0, date)
        } else if roll < 94 {
            (
                rng.random_range(0.02..0.10),
                date + Duration::days(rng.random_range(14..400)),
            )
        } else {
            (
                rng.random_range(0.2..0.6),
                date + Duration::days(rng.random_range(90..1000)),
            )
        }
    }

    fn staff_on(&self, list: &[Person], offset: u64) -> usize {
        ((self.day_number + offset) % list.len() as u64) as usize
    }

    fn simulate_day(
        &mut self,
        tx: &rusqlite::Connection,
        date: NaiveDate,
        today: bool,
    ) -> Result<()> {
        let zone = self.zone;
        let opens = local(zone, date, 8, 0);
        let closes = local(zone, date, 16, 0);
        let desk = [self.staff_on(&self.desk, 0), self.staff_on(&self.desk, 1)];
        let nurse = &self.nurses[self.staff_on(&self.nurses, 0)];
        let supervisor = &self.supervisors[self.staff_on(&self.supervisors, 0)];
        let mut day = DayContext {
            date,
            opens,
            closes,
            // The last day stops at the plan's instant; earlier days run to their close-out.
            cutoff: if today {
                self.until
            } else {
                closes + Duration::hours(2)
            },
            desk: desk.map(|index| (self.desk[index].id, self.desk[index].actor.clone())),
            nurse: (nurse.id, nurse.actor.clone()),
            supervisor: (supervisor.id, supervisor.actor.clone()),
            log: Vec::new(),
        };
        let on_shift = [
            day.desk[0].1.clone(),
            day.desk[1].1.clone(),
            day.nurse.1.clone(),
            day.supervisor.1.clone(),
        ];
        for actor in on_shift {
            let at = opens - minutes(10) + Duration::seconds(self.rng.random_range(0..300));
            let username = actor.trim_start_matches("staff:").to_string();
            day.note(at, "anonymous", "login", username, String::new());
        }
        self.apply_follow_ups(tx, &mut day)?;
        if self.day_number == 0 {
            self.seed_population(date);
        }
        let mut visitors = self.arrivals(&day);
        let checked_out_at_close = self.check_in_and_out(tx, &mut day, &mut visitors)?;
        let present: Vec<&Visitor> = visitors.iter().filter(|visitor| !visitor.voided).collect();
        let first_visits: HashSet<i64> = present
            .iter()
            .map(|visitor| visitor.guest_id)
            .filter(|id| !self.counted.contains(id))
            .collect();
        self.counted.extend(first_visits.iter().copied());
        let tallies = self.tallies(tx, &mut day)?;
        self.bookings(tx, &mut day, &present)?;
        self.queue(tx, &mut day, &present)?;
        self.referrals(tx, &mut day, &present)?;
        self.incidents_and_flags(tx, &mut day, &present)?;
        if !today {
            let guests: HashSet<i64> = present.iter().map(|visitor| visitor.guest_id).collect();
            let new_guests = first_visits.len();
            let closed_at = closes + minutes(30) + Duration::seconds(self.rng.random_range(0..900));
            let closure = storage::ClosureRow {
                date,
                closed: (closed_at, day.supervisor.0),
                visits: present.len() as i64,
                guests: guests.len() as i64,
                new_guests: new_guests as i64,
                tallies,
                checked_out_at_close,
            };
            storage::insert_closure(tx, &closure)?;
            self.counts.closed_days += 1;
            let detail = format!(
                "visits={} guests={} new={} tallies={tallies} checked_out={checked_out_at_close}",
                closure.visits, closure.guests, closure.new_guests
            );
            let actor = day.supervisor.1.clone();
            day.note(closed_at, &actor, "day.close", date.to_string(), detail);
        }
        day.log.sort_by_key(|entry| entry.at);
        for entry in &day.log {
            audit::record(
                tx,
                &Event::ok(
                    entry.at,
                    &entry.actor,
                    &entry.action,
                    &entry.object,
                    &entry.detail,
                ),
            )?;
        }
        self.day_number += 1;
        Ok(())
    }

    /// The center did not open yesterday: on its first day its regulars already exist.
    /// They are registered the first time they come, like anyone.
    fn seed_population(&mut self, date: NaiveDate) {
        for index in 0..1500 {
            let (chance, days) = if index < 500 {
                (
                    self.rng.random_range(0.2..0.6),
                    self.rng.random_range(1..1000),
                )
            } else {
                (
                    self.rng.random_range(0.02..0.10),
                    self.rng.random_range(1..400),
                )
            };
            self.regulars.push(Regular {
                id: None,
                chance,
                last_day: date + Duration::days(days),
            });
        }
    }

    /// Who comes today, in order of arrival: first-timers and the returning.
    fn arrivals(&mut self, day: &DayContext) -> Vec<Visitor> {
        let busy = match day.date.weekday() {
            Weekday::Sat | Weekday::Sun => 0.75,
            Weekday::Mon => 1.1,
            _ => 1.0,
        };
        let mut coming: Vec<(Option<usize>, Option<KnownGuest>)> = Vec::new();
        let new_today = (0..40).filter(|_| self.rng.random_bool(0.4 * busy)).count();
        coming.extend((0..new_today).map(|_| (None, None)));
        self.regulars.retain(|regular| regular.last_day >= day.date);
        for index in 0..self.regulars.len() {
            let chance = (self.regulars[index].chance * busy).min(0.95);
            if self.rng.random_bool(chance) {
                coming.push((Some(index), self.regulars[index].id.clone()));
            }
        }
        let mut visitors: Vec<Visitor> = coming
            .into_iter()
            .map(|(regular, known)| {
                let (guest_id, code, new) = match known {
                    Some((id, code)) => (id, code, None),
                    None => (0, self.new_code(), Some(self.new_guest())),
                };
                let rng = &mut self.rng;
                // Mornings are busiest: the door opens on a line.
                let into_day = 450.0 * rng.random_range(0.0f64..1.0).powf(1.3);
                let arrives = day.opens + Duration::seconds((into_day * 60.0) as i64);
                let stay = 10.0 - 55.0 * (1.0 - rng.random_range(0.0f64..1.0)).ln();
                Visitor {
                    regular,
                    guest_id,
                    code,
                    new,
                    arrives,
                    leaves: arrives + Duration::seconds((stay * 60.0) as i64),
                    voided: rng.random_bool(0.003),
                    visit_id: 0,
                }
            })
            .filter(|visitor| visitor.arrives <= day.cutoff)
            .collect();
        visitors.sort_by_key(|visitor| visitor.arrives);
        visitors
    }

    /// Register the first-timers, check everyone in, and out when they leave (or at the
    /// close-out). Returns how many the close-out checked out.
    fn check_in_and_out(
        &mut self,
        tx: &rusqlite::Connection,
        day: &mut DayContext,
        visitors: &mut [Visitor],
    ) -> Result<i64> {
        let mut checked_out_at_close = 0;
        for (index, visitor) in visitors.iter_mut().enumerate() {
            let (desk_id, desk_actor) = day.desk[index % 2].clone();
            let object = format!("guest:{}", visitor.code);
            if let Some(new) = &visitor.new {
                visitor.guest_id = storage::insert_guest(
                    tx,
                    &storage::GuestRow {
                        code: &visitor.code,
                        nickname: new.nickname.as_deref(),
                        birth_year: new.birth_year,
                        birth_year_answer: if new.birth_year.is_some() { 1 } else { 99 },
                        gender: new.gender,
                        veteran_status: new.veteran,
                        language: new.language,
                        first_seen: day.date,
                        at: visitor.arrives,
                        by: desk_id,
                    },
                )?;
                self.counts.guests += 1;
                day.note(
                    visitor.arrives,
                    &desk_actor,
                    "guest.register",
                    object.clone(),
                    String::new(),
                );
                let known = Some((visitor.guest_id, visitor.code.clone()));
                match visitor.regular {
                    Some(regular) => self.regulars[regular].id = known,
                    None => {
                        let (chance, last_day) = self.new_regular_pattern(day.date);
                        if chance > 0.0 {
                            self.regulars.push(Regular {
                                id: known,
                                chance,
                                last_day,
                            });
                        }
                    }
                }
            }
            let closing = visitor.leaves >= day.closes;
            if closing {
                visitor.leaves = day.closes + minutes(20);
            }
            let voided = visitor
                .voided
                .then(|| (visitor.arrives + minutes(2), desk_id));
            let checked_out = (!visitor.voided && visitor.leaves <= day.cutoff).then(|| {
                let by = if closing { day.supervisor.0 } else { desk_id };
                (visitor.leaves, by)
            });
            visitor.visit_id = storage::insert_visit(
                tx,
                &storage::VisitRow {
                    guest_id: visitor.guest_id,
                    date: day.date,
                    checked_in: visitor.arrives,
                    checked_in_by: desk_id,
                    checked_out,
                    voided,
                },
            )?;
            self.counts.visits += 1;
            let detail = format!("visit={}", visitor.visit_id);
            day.note(
                visitor.arrives,
                &desk_actor,
                "visit.check_in",
                object.clone(),
                detail.clone(),
            );
            if let Some((at, _)) = voided {
                day.note(at, &desk_actor, "visit.undo_check_in", object, detail);
            } else if closing {
                checked_out_at_close += i64::from(checked_out.is_some());
            } else if checked_out.is_some() {
                day.note(
                    visitor.leaves,
                    &desk_actor,
                    "visit.check_out",
                    object,
                    detail,
                );
            }
        }
        Ok(checked_out_at_close)
    }

    fn tallies(&mut self, tx: &rusqlite::Connection, day: &mut DayContext) -> Result<i64> {
        let mut made = 0;
        for _ in 0..self.rng.random_range(3..15) {
            let at = day.opens + minutes(self.rng.random_range(0..470));
            if at > day.cutoff {
                continue;
            }
            let (desk_id, desk_actor) = day.desk[made as usize % 2].clone();
            storage::insert_tally(tx, day.date, at, desk_id)?;
            day.note(
                at,
                &desk_actor,
                "visit.anonymous_tally",
                "tally".into(),
                day.date.to_string(),
            );
            made += 1;
        }
        self.counts.anonymous_tallies += made as u64;
        Ok(made)
    }

    /// Showers, computers and phones: each visitor who wants one gets the next free slot
    /// after asking, or joins the waitlist when the day is full.
    fn bookings(
        &mut self,
        tx: &rusqlite::Connection,
        day: &mut DayContext,
        present: &[&Visitor],
    ) -> Result<()> {
        for kind_index in 0..self.resources.len() {
            let (kind, share) = (self.resources[kind_index].0, self.resources[kind_index].1);
            let mut free_at: Vec<DateTime<Utc>> =
                vec![day.opens; self.resources[kind_index].2.len()];
            for (index, visitor) in present.iter().enumerate() {
                if !self.rng.random_bool(share) {
                    continue;
                }
                let (desk_id, desk_actor) = day.desk[index % 2].clone();
                let asked = visitor.arrives + minutes(self.rng.random_range(1..10));
                if asked > day.cutoff || asked >= visitor.leaves {
                    continue;
                }
                let earliest = round_up_5(asked);
                let (slot, start) = free_at
                    .iter()
                    .enumerate()
                    .map(|(slot, free)| (slot, (*free).max(earliest)))
                    .min_by_key(|(_, start)| *start)
                    .unwrap_or((0, earliest));
                let resource = &self.resources[kind_index].2[slot];
                let (ends, blocked) = (
                    start + resource.slot,
                    start + resource.slot + resource.buffer,
                );
                if blocked > day.closes + resource.buffer {
                    let state = if day.closes <= day.cutoff {
                        "removed"
                    } else {
                        "waiting"
                    };
                    storage::insert_waitlist(
                        tx,
                        kind,
                        visitor.guest_id,
                        day.date,
                        (asked, desk_id),
                        state,
                        day.closes.min(day.cutoff).max(asked),
                    )?;
                    self.counts.waitlist += 1;
                    day.note(
                        asked,
                        &desk_actor,
                        "waitlist.join",
                        format!("guest:{}", visitor.code),
                        kind.to_string(),
                    );
                    continue;
                }
                let mut steps = vec![Step {
                    at: asked,
                    by: Some(desk_id),
                    from: None,
                    to: "booked",
                    station: None,
                }];
                let roll = self.rng.random_range(0..100);
                let mut freed_early = None;
                if start >= visitor.leaves || roll < 8 {
                    // Gone before their turn, or changed their mind: cancelled at the desk.
                    let at = (asked + minutes(self.rng.random_range(2..30))).min(start);
                    steps.push(Step {
                        at,
                        by: Some(desk_id),
                        from: Some("booked"),
                        to: "cancelled",
                        station: None,
                    });
                    freed_early = Some(at);
                } else if roll < 17 {
                    steps.push(Step {
                        at: start + minutes(10),
                        by: None,
                        from: Some("booked"),
                        to: "no_show",
                        station: None,
                    });
                    freed_early = Some(start + minutes(10));
                } else {
                    let began = start + minutes(self.rng.random_range(0..4));
                    let finished = ends - minutes(self.rng.random_range(0..6));
                    steps.push(Step {
                        at: began,
                        by: Some(desk_id),
                        from: Some("booked"),
                        to: "in_use",
                        station: None,
                    });
                    steps.push(Step {
                        at: finished,
                        by: Some(desk_id),
                        from: Some("in_use"),
                        to: "done",
                        station: None,
                    });
                }
                steps.retain(|step| step.at <= day.cutoff);
                let blocked_until = freed_early
                    .filter(|at| *at <= day.cutoff)
                    .unwrap_or(blocked);
                free_at[slot] = if freed_early.is_some() {
                    free_at[slot].max(start.min(blocked_until))
                } else {
                    blocked
                };
                let id = storage::insert_booking(
                    tx,
                    &storage::BookingRow {
                        resource_id: resource.id,
                        guest_id: visitor.guest_id,
                        date: day.date,
                        starts: start,
                        ends,
                        blocked_until,
                        steps: &steps,
                    },
                )?;
                self.counts.bookings += 1;
                let detail = format!(
                    "booking={id} resource={} start={}",
                    resource.name,
                    days::local_time_text(self.zone, start)
                );
                day.note(
                    asked,
                    &desk_actor,
                    "booking.create",
                    format!("guest:{}", visitor.code),
                    detail,
                );
                for step in &steps[1..] {
                    match step.to {
                        "no_show" => self.counts.no_shows += 1,
                        "cancelled" => self.counts.cancellations += 1,
                        _ => {}
                    }
                    if step.by.is_some() {
                        day.note(
                            step.at,
                            &desk_actor,
                            &format!("booking.{}", step.to),
                            format!("booking:{id}"),
                            String::new(),
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// The nurse queue: some visitors join; two stations serve them in turn; those still
    /// waiting when they leave are marked left.
    fn queue(
        &mut self,
        tx: &rusqlite::Connection,
        day: &mut DayContext,
        present: &[&Visitor],
    ) -> Result<()> {
        let mut joining: Vec<(DateTime<Utc>, &Visitor)> = Vec::new();
        for visitor in present {
            if self.rng.random_bool(0.12) {
                let at = visitor.arrives + minutes(self.rng.random_range(3..30));
                if at < visitor.leaves && at <= day.cutoff {
                    joining.push((at, visitor));
                }
            }
        }
        joining.sort_by_key(|(at, _)| *at);
        let mut free_at = vec![day.opens; self.stations.len()];
        for (index, (joined, visitor)) in joining.into_iter().enumerate() {
            let number = index as i64 + 1;
            let (desk_id, desk_actor) = day.desk[index % 2].clone();
            let (nurse_id, nurse_actor) = day.nurse.clone();
            let reason = *pick(&mut self.rng, &QUEUE_REASONS);
            let priority = if self.rng.random_bool(0.07) {
                "urgent"
            } else {
                "routine"
            };
            let mut steps = vec![Step {
                at: joined,
                by: Some(desk_id),
                from: None,
                to: "waiting",
                station: None,
            }];
            let (station_slot, station_free) = free_at
                .iter()
                .enumerate()
                .min_by_key(|(_, free)| **free)
                .map(|(slot, free)| (slot, *free))
                .unwrap_or((0, day.opens));
            let called = station_free.max(joined + minutes(1));
            let station = self.stations.get(station_slot).map(|(id, _)| *id);
            if self.rng.random_bool(0.04) {
                steps.push(Step {
                    at: joined + minutes(self.rng.random_range(2..10)),
                    by: Some(desk_id),
                    from: Some("waiting"),
                    to: "cancelled",
                    station: None,
                });
            } else if called >= visitor.leaves {
                steps.push(Step {
                    at: visitor.leaves,
                    by: Some(desk_id),
                    from: Some("waiting"),
                    to: "left",
                    station: None,
                });
            } else {
                let started = called + minutes(self.rng.random_range(1..4));
                let finished = started + minutes(self.rng.random_range(8..26));
                steps.push(Step {
                    at: called,
                    by: Some(nurse_id),
                    from: Some("waiting"),
                    to: "called",
                    station,
                });
                steps.push(Step {
                    at: started,
                    by: Some(nurse_id),
                    from: Some("called"),
                    to: "in_service",
                    station,
                });
                steps.push(Step {
                    at: finished,
                    by: Some(nurse_id),
                    from: Some("in_service"),
                    to: "done",
                    station,
                });
                free_at[station_slot] = finished;
            }
            steps.retain(|step| step.at <= day.cutoff);
            let id = storage::insert_queue_entry(
                tx,
                &storage::QueueRow {
                    date: day.date,
                    number,
                    guest_id: visitor.guest_id,
                    reason,
                    priority,
                    steps: &steps,
                },
            )?;
            self.counts.queue_entries += 1;
            let object = format!("queue:{}@{}", queue::number_text(number), day.date);
            for step in &steps {
                let (actor, action, detail) = match step.to {
                    "waiting" => (
                        &desk_actor,
                        "queue.join".to_string(),
                        format!("reason={reason} priority={priority}"),
                    ),
                    "called" => {
                        let name = self
                            .stations
                            .get(station_slot)
                            .map_or("", |(_, name)| name.as_str());
                        (
                            &nurse_actor,
                            "queue.call".to_string(),
                            format!("station={name}"),
                        )
                    }
                    "in_service" | "done" => {
                        (&nurse_actor, format!("queue.{}", step.to), String::new())
                    }
                    other => (&desk_actor, format!("queue.{other}"), String::new()),
                };
                day.note(step.at, actor, &action, object.clone(), detail);
            }
            if let Some(done) = steps.iter().find(|step| step.to == "done") {
                if self.rng.random_bool(0.6) {
                    let at = done.at + minutes(1);
                    let body = NURSE_NOTES[self.rng.random_range(0..NURSE_NOTES.len())];
                    if at <= day.cutoff {
                        storage::insert_clinical_note(tx, id, at, nurse_id, body)?;
                        self.counts.clinical_notes += 1;
                        day.note(
                            at,
                            &nurse_actor,
                            "clinical_note.write",
                            object.clone(),
                            String::new(),
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// Referrals: made at the desk, sent the same day (under a consent for partners
    /// outside the center), then accepted, completed, declined or missed on later days.
    fn referrals(
        &mut self,
        tx: &rusqlite::Connection,
        day: &mut DayContext,
        present: &[&Visitor],
    ) -> Result<()> {
        let (staff_id, actor) = day.supervisor.clone();
        for visitor in present {
            if !self.rng.random_bool(0.03) {
                continue;
            }
            let made = visitor.arrives + minutes(self.rng.random_range(10..60));
            if made > day.cutoff || made >= visitor.leaves {
                continue;
            }
            let category = *pick(&mut self.rng, &CATEGORIES);
            let serving: Vec<usize> = (0..self.partners.len())
                .filter(|&index| self.partners[index].categories.contains(&category))
                .collect();
            let Some(&partner_index) = serving.get(self.rng.random_range(0..serving.len().max(1)))
            else {
                continue;
            };
            let (partner_id, partner_name, on_site) = {
                let partner = &self.partners[partner_index];
                (partner.id, partner.name, partner.on_site)
            };
            let object = format!("guest:{}", visitor.code);
            let sent_at = made + minutes(3);
            let id = storage::insert_referral(
                tx,
                &storage::ReferralRow {
                    guest_id: visitor.guest_id,
                    category,
                    partner_id,
                    date: day.date,
                    follow_up: Some(day.date + Duration::days(7)),
                    made: (made, staff_id),
                },
            )?;
            // A referral outside the center is sent under a consent recorded for it.
            let consent_id = if on_site || sent_at > day.cutoff {
                None
            } else {
                Some(self.consent_for(
                    tx,
                    day,
                    visitor,
                    (id, category),
                    partner_id,
                    made + minutes(2),
                )?)
            };
            self.counts.referrals += 1;
            // The audit entries read as the app writes them: a sensitive referral's category
            // and partner are never named, and its entries carry the marker.
            let marker = referral_marker(category);
            let detail = if marker.is_empty() {
                format!("referral={id} category={category} partner={partner_name}")
            } else {
                format!("referral={id} {marker}")
            };
            day.note(made, &actor, "referral.make", object.clone(), detail);
            let object = format!("referral:{id}");
            if sent_at <= day.cutoff {
                storage::move_referral(tx, id, sent_at, staff_id, "made", "sent")?;
                if let Some(consent) = consent_id {
                    storage::sent_under(tx, id, consent)?;
                }
                let detail = match consent_id {
                    Some(consent) => format!("made -> sent consent={consent}{marker}"),
                    None => format!("made -> sent{marker}"),
                };
                day.note(sent_at, &actor, "referral.status", object.clone(), detail);
                if self.rng.random_bool(0.3) {
                    let body = REFERRAL_NOTES[self.rng.random_range(0..REFERRAL_NOTES.len())];
                    storage::insert_referral_note(tx, id, sent_at + minutes(1), staff_id, body)?;
                    day.note(
                        sent_at + minutes(1),
                        &actor,
                        "referral.note",
                        object.clone(),
                        marker.trim().to_string(),
                    );
                }
                // What happens next, on later days (applied when the simulation gets there).
                let answer_days = self.rng.random_range(1..10);
                let answered = local(
                    self.zone,
                    day.date + Duration::days(answer_days),
                    10,
                    self.rng.random_range(0..59),
                );
                let roll = self.rng.random_range(0..100);
                if roll < 70 {
                    self.follow_ups.push(FollowUp {
                        at: answered,
                        referral_id: id,
                        marker,
                        from: "sent",
                        to: "accepted",
                    });
                    let outcome_days = answer_days + self.rng.random_range(3..30);
                    let outcome_at = local(
                        self.zone,
                        day.date + Duration::days(outcome_days),
                        11,
                        self.rng.random_range(0..59),
                    );
                    let to = *pick(
                        &mut self.rng,
                        &[("completed", 60), ("no_show", 25), ("declined", 15)],
                    );
                    self.follow_ups.push(FollowUp {
                        at: outcome_at,
                        referral_id: id,
                        marker,
                        from: "accepted",
                        to,
                    });
                } else if roll < 82 {
                    self.follow_ups.push(FollowUp {
                        at: answered,
                        referral_id: id,
                        marker,
                        from: "sent",
                        to: "declined",
                    });
                }
            }
        }
        Ok(())
    }

    /// Record the guest's consent for a referral to a partner outside the center.
    fn consent_for(
        &mut self,
        tx: &rusqlite::Connection,
        day: &mut DayContext,
        visitor: &Visitor,
        (referral_id, category): (i64, &str),
        partner_id: i64,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        let expires_on = day.date + Duration::days(365);
        let id = storage::insert_consent(
            tx,
            &storage::ConsentRow {
                referral_id,
                guest_id: visitor.guest_id,
                partner_id,
                information: "Name or nickname, and the service asked for",
                purpose: "To arrange the referral",
                agreed_on: day.date,
                expires_on,
                at,
                by: day.supervisor.0,
            },
        )?;
        self.counts.consents += 1;
        let actor = day.supervisor.1.clone();
        day.note(
            at,
            &actor,
            "consent.record",
            format!("referral:{referral_id}"),
            format!(
                "consent={id} until={expires_on}{}",
                referral_marker(category)
            ),
        );
        Ok(id)
    }

    /// Referral answers and outcomes due today (up to the cutoff on the last day).
    fn apply_follow_ups(&mut self, tx: &rusqlite::Connection, day: &mut DayContext) -> Result<()> {
        let end = local(self.zone, day.date + Duration::days(1), 0, 0).min(day.cutoff);
        let (due, later): (Vec<FollowUp>, Vec<FollowUp>) = std::mem::take(&mut self.follow_ups)
            .into_iter()
            .partition(|follow_up| follow_up.at <= end);
        self.follow_ups = later;
        let (staff_id, actor) = day.supervisor.clone();
        for follow_up in due {
            storage::move_referral(
                tx,
                follow_up.referral_id,
                follow_up.at,
                staff_id,
                follow_up.from,
                follow_up.to,
            )?;
            day.note(
                follow_up.at,
                &actor,
                "referral.status",
                format!("referral:{}", follow_up.referral_id),
                format!("{} -> {}{}", follow_up.from, follow_up.to, follow_up.marker),
            );
        }
        Ok(())
    }

    /// Overdoses and medical emergencies (a few a week), alerts and restrictions.
    fn incidents_and_flags(
        &mut self,
        tx: &rusqlite::Connection,
        day: &mut DayContext,
        present: &[&Visitor],
    ) -> Result<()> {
        let (staff_id, actor) = day.supervisor.clone();
        for (kind, chance) in [("overdose", 0.2), ("medical", 0.35)] {
            if !self.rng.random_bool(chance) {
                continue;
            }
            let occurred = day.opens + minutes(self.rng.random_range(10..470));
            let recorded = occurred + minutes(self.rng.random_range(5..40));
            if recorded > day.cutoff {
                continue;
            }
            let guest = present
                .iter()
                .find(|visitor| visitor.arrives <= occurred && visitor.leaves >= occurred)
                .filter(|_| self.rng.random_bool(0.8));
            let naloxone_doses = if kind == "overdose" {
                self.rng.random_range(1..4)
            } else {
                0
            };
            let ems_called = self
                .rng
                .random_bool(if kind == "overdose" { 0.6 } else { 0.4 });
            let outcome = *pick(
                &mut self.rng,
                &[
                    ("recovered_on_site", 55),
                    ("transported", 25),
                    ("refused_transport", 12),
                    ("left_before_ems", 7),
                    ("other", 1),
                ],
            );
            let id = storage::insert_incident(
                tx,
                &storage::IncidentRow {
                    date: day.date,
                    occurred,
                    kind,
                    naloxone_doses,
                    ems_called,
                    outcome,
                    guest_id: guest.map(|visitor| visitor.guest_id),
                    recorded: (recorded, staff_id),
                },
            )?;
            self.counts.incidents += 1;
            let object = guest.map_or_else(
                || format!("incident:{id}"),
                |visitor| format!("guest:{}", visitor.code),
            );
            let detail = format!("incident={id} kind={kind} naloxone={naloxone_doses} ems={ems_called} outcome={outcome}");
            day.note(recorded, &actor, "incident.record", object, detail);
        }
        for (kind, chance) in [("alert", 0.15), ("restriction", 0.06)] {
            if present.is_empty() || !self.rng.random_bool(chance) {
                continue;
            }
            let visitor = present[self.rng.random_range(0..present.len())];
            let at = visitor.arrives + minutes(5);
            if at > day.cutoff {
                continue;
            }
            let (scope, reason) = if kind == "alert" {
                (None, ALERTS[self.rng.random_range(0..ALERTS.len())])
            } else {
                let index = self.rng.random_range(0..RESTRICTIONS.len());
                (
                    Some(["building", "showers", "workstations"][index]),
                    RESTRICTIONS[index],
                )
            };
            let ends_on = day.date + Duration::days(self.rng.random_range(3..45));
            let id = storage::insert_flag(
                tx,
                &storage::FlagRow {
                    guest_id: visitor.guest_id,
                    kind,
                    scope,
                    reason,
                    starts_on: day.date,
                    ends_on,
                    at,
                    by: staff_id,
                },
            )?;
            self.counts.flags += 1;
            let detail = format!(
                "flag={id} scope={} from={} to={ends_on}",
                scope.unwrap_or("-"),
                day.date
            );
            day.note(
                at,
                &actor,
                &format!("guest.{kind}"),
                format!("guest:{}", visitor.code),
                detail,
            );
        }
        Ok(())
    }
}

/// What one simulated day knows: its hours, who is on shift, and its audit entries.
struct DayContext {
    date: NaiveDate,
    opens: DateTime<Utc>,
    closes: DateTime<Utc>,
    cutoff: DateTime<Utc>,
    desk: [(i64, String); 2],
    nurse: (i64, String),
    supervisor: (i64, String),
    log: Vec<Entry>,
}

impl DayContext {
    /// An audit entry for something that happened by the cutoff.
    fn note(
        &mut self,
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        object: String,
        detail: String,
    ) {
        if at <= self.cutoff {
            self.log.push(Entry {
                at,
                actor: actor.to_string(),
                action: action.to_string(),
                object,
                detail,
            });
        }
    }
}

/// The next five-minute mark (bookings start on the grid, as the desk's do).
fn round_up_5(at: DateTime<Utc>) -> DateTime<Utc> {
    let grid = 300;
    let seconds = at.timestamp();
    let rest = seconds.rem_euclid(grid);
    let rounded = if rest == 0 {
        seconds
    } else {
        seconds + grid - rest
    };
    DateTime::from_timestamp(rounded, 0).unwrap_or(at)
}

/// The instant of `hour:minute` center-local time on `date` (the first, when clocks go back).
fn local(zone: Tz, date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN);
    zone.from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|at| at.with_timezone(&Utc))
        .unwrap_or_else(|| days::day_start(zone, date) + Duration::hours(i64::from(hour)))
}

#[cfg(test)]
mod tests;
