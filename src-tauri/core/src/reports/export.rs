//! The daily counts as files: CSV (one row per day, the columns below in this order, a
//! header row) and XLSX (a summary sheet and one sheet per section, each with a title, the
//! range and when it was generated). With small-cell suppression, counts from 1 to the
//! threshold are written as `<N` (N = threshold + 1), and more counts are written as
//! `suppressed` until none of them, and no sum of them, can be worked out from the
//! published identities ([`identities`], [`super::suppression`]).

use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, Worksheet};

use super::suppression::{self, Mark};
pub use super::suppression::{Identity, Relation};
use super::{DayCounts, Report};
use crate::error::{AppError, Result};

/// What one cell holds before it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    /// A number of people or events: subject to suppression.
    Count(i64),
    /// A quantity that is not a count of people (minutes in use): never suppressed.
    Amount(i64),
    /// A wait in minutes over `people` seen: suppressed when they are few.
    Wait {
        minutes: Option<i64>,
        people: i64,
    },
}

/// A CSV column: its name, what it means, its unit.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub meaning: &'static str,
    pub unit: &'static str,
}

const fn col(name: &'static str, meaning: &'static str, unit: &'static str) -> Column {
    Column {
        name,
        meaning,
        unit,
    }
}

/// The referral groups, in column order.
const REFERRAL_GROUPS: [&str; 5] = [
    "substance_use_treatment",
    "clinical",
    "housing",
    "documents_and_benefits",
    "other",
];

/// The CSV columns, in their stable order (documented in the README).
pub const COLUMNS: &[Column] = &[
    col("date", "the center-local day", "YYYY-MM-DD"),
    col(
        "status",
        "final once the day was closed out; closed_late when closed out after it was over; \
         left_open for an earlier day with visits nobody closed out; else provisional",
        "text",
    ),
    col("visits", "check-ins (undone ones excluded)", "visits"),
    col("unique_guests", "distinct guests who checked in", "guests"),
    col(
        "new_guests",
        "guests whose first visit that was not undone was this day",
        "guests",
    ),
    col(
        "anonymous_tallies",
        "people counted without a code",
        "people",
    ),
    col(
        "corrections_after_close",
        "visits and tallies recorded after close-out (undone ones excluded)",
        "records",
    ),
    col(
        "settled_at_day_end",
        "visits nobody checked out, settled at the day's closing time (in visits)",
        "visits",
    ),
    col("peak_occupancy", "most people inside at once", "people"),
    col("showers_done", "showers used", "uses"),
    col(
        "showers_no_shows",
        "shower bookings not taken up",
        "bookings",
    ),
    col("showers_cancelled", "shower bookings cancelled", "bookings"),
    col(
        "showers_minutes_in_use",
        "minutes showers were in use",
        "minutes",
    ),
    col(
        "workstations_done",
        "computer, phone and other workstation uses",
        "uses",
    ),
    col(
        "workstations_no_shows",
        "workstation bookings not taken up",
        "bookings",
    ),
    col(
        "workstations_cancelled",
        "workstation bookings cancelled",
        "bookings",
    ),
    col(
        "workstations_minutes_in_use",
        "minutes workstations were in use",
        "minutes",
    ),
    col(
        "nurse_joined",
        "guests who joined the nurse queue",
        "guests",
    ),
    col("nurse_seen", "guests seen by a nurse", "guests"),
    col(
        "nurse_left_without_being_seen",
        "guests who left before being seen",
        "guests",
    ),
    col("nurse_cancelled", "queue places cancelled", "guests"),
    col(
        "nurse_median_wait_minutes",
        "median wait from joining to being called, of those seen",
        "minutes",
    ),
    col(
        "nurse_p90_wait_minutes",
        "90th-percentile wait (nearest rank), of those seen",
        "minutes",
    ),
    col(
        "incidents",
        "on-site overdoses and medical incidents",
        "incidents",
    ),
    col("overdoses", "on-site overdoses", "incidents"),
    col("naloxone_doses", "naloxone doses given on site", "doses"),
    col("ems_called", "incidents where EMS was called", "incidents"),
    col("referrals_made", "referrals made", "referrals"),
    col(
        "referrals_substance_use_treatment",
        "of which substance-use treatment and recovery",
        "referrals",
    ),
    col(
        "referrals_clinical",
        "of which mental health, medical and testing",
        "referrals",
    ),
    col(
        "referrals_housing",
        "of which housing advocate and shelter",
        "referrals",
    ),
    col(
        "referrals_documents_and_benefits",
        "of which ID, documents and benefits",
        "referrals",
    ),
    col("referrals_other", "of which other", "referrals"),
    col(
        "referrals_open",
        "made that day and still open (made or sent)",
        "referrals",
    ),
    col("referrals_accepted", "made that day, accepted", "referrals"),
    col(
        "referrals_completed",
        "made that day, completed",
        "referrals",
    ),
    col("referrals_declined", "made that day, declined", "referrals"),
    col(
        "referrals_no_show",
        "made that day, guest did not show",
        "referrals",
    ),
    col(
        "referrals_cancelled",
        "made that day, cancelled",
        "referrals",
    ),
    col("alerts_issued", "alerts recorded", "alerts"),
    col(
        "restrictions_issued",
        "service restrictions recorded",
        "restrictions",
    ),
];

/// The referral outcomes, in column order.
const REFERRAL_OUTCOMES: [&str; 6] = [
    "referrals_open",
    "referrals_accepted",
    "referrals_completed",
    "referrals_declined",
    "referrals_no_show",
    "referrals_cancelled",
];

/// The people still in the nurse queue (joined, not yet seen, gone or cancelled): never
/// published, but what a reader gets from `nurse_joined` less its published parts.
const STILL_IN_QUEUE: &str = "nurse_still_in_queue";

/// Every identity that holds within a row of published counts (each day, and the range on
/// the Summary sheet): (total, how it relates to its parts, parts).
pub const ROW_IDENTITIES: &[(&str, Relation, &[&str])] = &[
    (
        "referrals_made",
        Relation::Equal,
        &[
            "referrals_substance_use_treatment",
            "referrals_clinical",
            "referrals_housing",
            "referrals_documents_and_benefits",
            "referrals_other",
        ],
    ),
    ("referrals_made", Relation::Equal, &REFERRAL_OUTCOMES),
    (
        "nurse_joined",
        Relation::Equal,
        &[
            "nurse_seen",
            "nurse_left_without_being_seen",
            "nurse_cancelled",
            STILL_IN_QUEUE,
        ],
    ),
    // Every guest counted checked in at least once.
    ("visits", Relation::PartsAtMost, &["unique_guests"]),
    // A new guest is one of the day's guests.
    ("unique_guests", Relation::PartsAtMost, &["new_guests"]),
    // Settled visits are among the day's visits.
    ("visits", Relation::PartsAtMost, &["settled_at_day_end"]),
    // Corrections are visits and tallies recorded late.
    (
        "corrections_after_close",
        Relation::PartsAtLeast,
        &["visits", "anonymous_tallies"],
    ),
    ("incidents", Relation::PartsAtMost, &["overdoses"]),
    ("incidents", Relation::PartsAtMost, &["ems_called"]),
];

/// Counts over a range that are not the sum of the days: distinct guests (at most the
/// days' sum, at least any day) and the highest peak (a maximum: it only says that no day
/// was higher, and a peak is never hidden to protect another cell).
const NOT_ADDED_OVER_RANGE: [&str; 2] = ["unique_guests", "peak_occupancy"];

/// Whether a column holds counts of people or events (subject to suppression).
fn is_count(column: &Column) -> bool {
    !matches!(column.unit, "text" | "YYYY-MM-DD" | "minutes")
}

/// The width of a row of the grid that suppression works on: [`COLUMNS`], then the people
/// still in the nurse queue.
pub const WIDTH: usize = COLUMNS.len() + 1;

/// A column's position in a row of the grid.
fn position(name: &str) -> Option<usize> {
    if name == STILL_IN_QUEUE {
        return Some(COLUMNS.len());
    }
    COLUMNS.iter().position(|c| c.name == name)
}

/// Every identity between the published counts of a range of `days` days, as positions
/// in the grid: row `d` (0-based) is day `d`, row `days` the range (the Summary sheet),
/// each [`WIDTH`] cells wide. Within every row, [`ROW_IDENTITIES`]; down each column, the
/// range total is the sum of the days for every count but [`NOT_ADDED_OVER_RANGE`];
/// distinct guests over the range are at most the days' sum and at least each day.
pub fn identities(days: usize) -> Vec<Identity> {
    let at = |row: usize, column: usize| row * WIDTH + column;
    let mut list = Vec::new();
    for row in 0..=days {
        for (total, relation, parts) in ROW_IDENTITIES {
            let (Some(total), Some(parts)) = (
                position(total),
                parts
                    .iter()
                    .map(|p| position(p))
                    .collect::<Option<Vec<_>>>(),
            ) else {
                continue;
            };
            list.push(Identity {
                total: at(row, total),
                parts: parts.into_iter().map(|p| at(row, p)).collect(),
                relation: *relation,
                prefer_total: false,
            });
        }
    }
    if days == 0 {
        return list;
    }
    let summed = COLUMNS
        .iter()
        .enumerate()
        .filter(|(_, c)| is_count(c) && !NOT_ADDED_OVER_RANGE.contains(&c.name))
        .map(|(i, _)| i)
        .chain(std::iter::once(COLUMNS.len()));
    for column in summed {
        list.push(Identity {
            total: at(days, column),
            parts: (0..days).map(|d| at(d, column)).collect(),
            relation: Relation::Equal,
            prefer_total: true,
        });
    }
    if let Some(guests) = position("unique_guests") {
        list.push(Identity {
            total: at(days, guests),
            parts: (0..days).map(|d| at(d, guests)).collect(),
            relation: Relation::PartsAtLeast,
            prefer_total: true,
        });
        for d in 0..days {
            list.push(Identity {
                total: at(days, guests),
                parts: vec![at(d, guests)],
                relation: Relation::PartsAtMost,
                prefer_total: true,
            });
        }
    }
    list
}

fn sum(values: impl Iterator<Item = u32>) -> i64 {
    values.map(i64::from).sum()
}

/// One day as the cells of [`COLUMNS`].
pub fn day_cells(day: &DayCounts) -> Vec<Cell> {
    let showers = day.services.iter().filter(|k| k.kind == "shower");
    let stations = || day.services.iter().filter(|k| k.kind != "shower");
    let group = |name: &str| {
        day.referrals
            .iter()
            .filter(|g| g.grouping == name)
            .map(|g| g.made)
            .sum::<u32>()
    };
    let outcome = |pick: fn(&crate::referrals::ReferralGroupCounts) -> u32| {
        Cell::Count(sum(day.referrals.iter().map(pick)))
    };
    let nurse = &day.nurse.all;
    let incidents = &day.nurse.incidents;
    let mut cells = vec![
        Cell::Text(day.date.clone()),
        Cell::Text(day.status.as_str().to_string()),
        Cell::Count(i64::from(day.visits)),
        Cell::Count(i64::from(day.unique_guests)),
        Cell::Count(i64::from(day.new_guests)),
        Cell::Count(i64::from(day.anonymous_tallies)),
        Cell::Count(i64::from(day.corrections_after_close)),
        Cell::Count(i64::from(day.settled_at_day_end)),
        Cell::Count(i64::from(day.peak_occupancy)),
        Cell::Count(sum(showers.clone().map(|k| k.done))),
        Cell::Count(sum(showers.clone().map(|k| k.no_shows))),
        Cell::Count(sum(showers.clone().map(|k| k.cancelled))),
        Cell::Amount(showers.map(|k| k.minutes_in_use).sum()),
        Cell::Count(sum(stations().map(|k| k.done))),
        Cell::Count(sum(stations().map(|k| k.no_shows))),
        Cell::Count(sum(stations().map(|k| k.cancelled))),
        Cell::Amount(stations().map(|k| k.minutes_in_use).sum()),
        Cell::Count(i64::from(nurse.joined)),
        Cell::Count(i64::from(nurse.seen)),
        Cell::Count(i64::from(nurse.left_without_being_seen)),
        Cell::Count(i64::from(nurse.cancelled)),
        Cell::Wait {
            minutes: nurse.median_wait_minutes,
            people: i64::from(nurse.seen),
        },
        Cell::Wait {
            minutes: nurse.p90_wait_minutes,
            people: i64::from(nurse.seen),
        },
        Cell::Count(i64::from(incidents.incidents)),
        Cell::Count(i64::from(incidents.overdoses)),
        Cell::Count(incidents.naloxone_doses),
        Cell::Count(i64::from(incidents.ems_called)),
        Cell::Count(sum(day.referrals.iter().map(|g| g.made))),
    ];
    cells.extend(
        REFERRAL_GROUPS
            .iter()
            .map(|g| Cell::Count(i64::from(group(g)))),
    );
    cells.extend([
        outcome(|g| g.open),
        outcome(|g| g.accepted),
        outcome(|g| g.completed),
        outcome(|g| g.declined),
        outcome(|g| g.no_show),
        outcome(|g| g.cancelled),
        Cell::Count(i64::from(day.alerts_issued)),
        Cell::Count(i64::from(day.restrictions_issued)),
    ]);
    cells
}

/// How cells are written: as they are, or with small counts hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suppression {
    /// Counts from 1 to this are hidden; none: nothing is hidden.
    pub threshold: Option<u32>,
}

impl Suppression {
    fn small(&self, value: i64) -> bool {
        self.threshold
            .is_some_and(|t| value >= 1 && value <= i64::from(t))
    }

    fn hidden_text(&self) -> String {
        format!("<{}", self.threshold.unwrap_or(0) + 1)
    }
}

/// The texts of an export's counts: each day's row and the range's row (the Summary
/// sheet), each of [`COLUMNS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub days: Vec<Vec<String>>,
    /// Empty when the range has no day.
    pub range: Vec<String>,
}

/// The range's status: final when every day is closed out, left_open when an earlier day
/// still waits for its close-out, else provisional.
fn range_status(report: &Report) -> &'static str {
    if report.days.iter().all(|d| d.status.is_closed()) {
        "final"
    } else if report
        .days
        .iter()
        .any(|d| d.status == super::DayStatus::LeftOpen)
    {
        "left_open"
    } else {
        "provisional"
    }
}

/// The range's row: each count over the whole range (sums, the highest peak, distinct
/// guests).
fn range_cells(report: &Report, days: &[Vec<Cell>]) -> Vec<Cell> {
    if days.is_empty() {
        return Vec::new();
    }
    COLUMNS
        .iter()
        .enumerate()
        .map(|(i, column)| match column.name {
            "date" => Cell::Text(format!("{} to {}", report.from, report.to)),
            "status" => Cell::Text(range_status(report).to_string()),
            "unique_guests" => Cell::Count(i64::from(report.unique_guests_in_range)),
            "peak_occupancy" => Cell::Count(
                report
                    .days
                    .iter()
                    .map(|d| i64::from(d.peak_occupancy))
                    .max()
                    .unwrap_or(0),
            ),
            _ => match days.first().and_then(|d| d.get(i)) {
                Some(Cell::Amount(_)) => Cell::Amount(days.iter().map(|d| number(&d[i])).sum()),
                Some(Cell::Wait { .. }) => Cell::Text("see the days".to_string()),
                _ => Cell::Count(days.iter().map(|d| number(&d[i])).sum()),
            },
        })
        .collect()
}

/// The people still in the nurse queue of a row: joined less seen, gone and cancelled.
fn still_in_queue(cells: &[Cell]) -> i64 {
    let value = |name: &str| position(name).and_then(|i| cells.get(i)).map_or(0, number);
    value("nurse_joined")
        - value("nurse_seen")
        - value("nurse_left_without_being_seen")
        - value("nurse_cancelled")
}

/// The report's counts as texts, with small cells hidden when asked, and as many more as
/// it takes that no hidden count, and no sum of hidden counts in an identity, can be
/// worked out from what is published to a value from 1 to the threshold (see
/// [`identities`] and the `suppression` module). The CSV and every sheet of the workbook
/// write these texts, so a CSV and a workbook of the same range hide the same cells.
pub fn published(report: &Report, suppression: Suppression) -> Published {
    let days: Vec<Vec<Cell>> = report.days.iter().map(day_cells).collect();
    let range = range_cells(report, &days);
    let rows: Vec<&Vec<Cell>> = days.iter().chain(std::iter::once(&range)).collect();
    let marks: Vec<Mark> = match suppression.threshold {
        Some(threshold) if !days.is_empty() => {
            let mut values = Vec::with_capacity(rows.len() * WIDTH);
            let mut counts = Vec::with_capacity(rows.len() * WIDTH);
            let mut unpublished = Vec::with_capacity(rows.len() * WIDTH);
            for row in &rows {
                for cell in row.iter() {
                    values.push(number(cell));
                    counts.push(matches!(cell, Cell::Count(_)));
                    unpublished.push(false);
                }
                values.push(still_in_queue(row));
                counts.push(false);
                unpublished.push(true);
            }
            suppression::protect(
                &values,
                &counts,
                &unpublished,
                &identities(days.len()),
                i64::from(threshold),
            )
        }
        _ => vec![Mark::Shown; rows.len() * WIDTH],
    };
    let mut texts = rows.iter().enumerate().map(|(r, row)| {
        row.iter()
            .enumerate()
            .map(|(c, cell)| text_of(cell, marks[r * WIDTH + c], suppression))
            .collect::<Vec<_>>()
    });
    let days_texts = texts.by_ref().take(days.len()).collect();
    Published {
        days: days_texts,
        range: texts.next().unwrap_or_default(),
    }
}

/// A cell's text: a small count as `<N`, a count hidden to protect another as
/// `suppressed`, a wait of few people as `suppressed`.
fn text_of(cell: &Cell, mark: Mark, suppression: Suppression) -> String {
    match (cell, mark) {
        (Cell::Text(text), _) => text.clone(),
        (Cell::Amount(n), _) | (Cell::Count(n), Mark::Shown) => n.to_string(),
        (Cell::Count(_), Mark::Small) => suppression.hidden_text(),
        (Cell::Count(_), Mark::Complementary | Mark::Unpublished) => "suppressed".to_string(),
        (Cell::Wait { people, .. }, _) if suppression.small(*people) => "suppressed".to_string(),
        (Cell::Wait { minutes, .. }, _) => minutes.map(|m| m.to_string()).unwrap_or_default(),
    }
}

/// The texts of cells that are in no identity (occupancy by hour: each hour's peak is at
/// most the day's, a maximum, not a sum), or of a workbook that hides nothing: small
/// counts hidden, nothing more.
fn cell_texts(cells: &[Cell], suppression: Suppression) -> Vec<String> {
    cells
        .iter()
        .map(|cell| {
            let mark = match cell {
                Cell::Count(n) if suppression.small(*n) => Mark::Small,
                _ => Mark::Shown,
            };
            text_of(cell, mark, suppression)
        })
        .collect()
}

/// The report as CSV: a header row of [`COLUMNS`], then one row per day.
pub fn csv_bytes(report: &Report, suppression: Suppression) -> Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = COLUMNS.iter().map(|c| c.name);
    let failed = |err: csv::Error| AppError::internal(format!("the CSV could not be made: {err}"));
    writer.write_record(header).map_err(failed)?;
    for texts in published(report, suppression).days {
        writer.write_record(texts).map_err(failed)?;
    }
    writer
        .into_inner()
        .map_err(|err| AppError::internal(format!("the CSV could not be made: {err}")))
}

/// Write bytes to `path` through a temporary file in the same folder, renamed into place,
/// so a crash never leaves half a file under the name; readable by its owner only.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::files::write_private(path, bytes)
}

/// The report as an XLSX workbook: a summary sheet and one sheet per section.
pub fn xlsx_bytes(report: &Report, suppression: Suppression) -> Result<Vec<u8>> {
    let failed = |err: rust_xlsxwriter::XlsxError| {
        AppError::internal(format!("the workbook could not be made: {err}"))
    };
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();

    // Summary: each count column over the whole range.
    let sheet = book.add_worksheet().set_name("Summary").map_err(failed)?;
    let mut row =
        heading(sheet, report, "Daily counts: summary", suppression, &bold).map_err(failed)?;
    let published = published(report, suppression);
    sheet
        .write_string_with_format(row, 0, "Column", &bold)
        .map_err(failed)?;
    sheet
        .write_string_with_format(row, 1, "Over the range", &bold)
        .map_err(failed)?;
    sheet
        .write_string_with_format(row, 2, "Meaning", &bold)
        .map_err(failed)?;
    row += 1;
    for (column, text) in COLUMNS.iter().zip(&published.range) {
        sheet.write_string(row, 0, column.name).map_err(failed)?;
        write_value(sheet, row, 1, text).map_err(failed)?;
        sheet
            .write_string(row, 2, format!("{} ({})", column.meaning, column.unit))
            .map_err(failed)?;
        row += 1;
    }
    sheet.set_column_width(0, 34).map_err(failed)?;
    sheet.set_column_width(2, 60).map_err(failed)?;

    // Days: every column, one row per day (the CSV's contents).
    let sheet = book.add_worksheet().set_name("Days").map_err(failed)?;
    let mut row = heading(
        sheet,
        report,
        "Daily counts: one row per day",
        suppression,
        &bold,
    )
    .map_err(failed)?;
    for (i, column) in COLUMNS.iter().enumerate() {
        sheet
            .write_string_with_format(row, col_index(i), column.name, &bold)
            .map_err(failed)?;
    }
    row += 1;
    for texts in &published.days {
        for (i, text) in texts.iter().enumerate() {
            write_value(sheet, row, col_index(i), text).map_err(failed)?;
        }
        row += 1;
    }
    // A day's published text of a column, for the sheets that repeat Days columns.
    let of_day = |d: usize, name: &str| {
        position(name)
            .and_then(|c| published.days.get(d)?.get(c).cloned())
            .unwrap_or_default()
    };

    // Breakdowns (per kind, per reason and priority, per referral group) add up to the
    // Days columns; with small cells hidden, their parts would give hidden numbers away,
    // so a workbook for sharing outside leaves them out.
    let breakdowns = suppression.threshold.is_none();
    // Sections with their breakdowns.
    section(
        &mut book,
        report,
        suppression,
        "Occupancy by hour",
        &["date", "hour", "peak inside"],
        Rows::Cells(&|day: &DayCounts| {
            day.occupancy_by_hour
                .iter()
                .map(|h| {
                    vec![
                        Cell::Text(day.date.clone()),
                        Cell::Text(h.hour.clone()),
                        Cell::Count(i64::from(h.peak)),
                    ]
                })
                .collect()
        }),
    )
    .map_err(failed)?;
    if breakdowns {
        section(
            &mut book,
            report,
            suppression,
            "Showers and workstations",
            &[
                "date",
                "kind",
                "done",
                "no-shows",
                "cancelled",
                "minutes in use",
            ],
            Rows::Cells(&|day: &DayCounts| {
                day.services
                    .iter()
                    .map(|k| {
                        vec![
                            Cell::Text(day.date.clone()),
                            Cell::Text(k.kind.clone()),
                            Cell::Count(i64::from(k.done)),
                            Cell::Count(i64::from(k.no_shows)),
                            Cell::Count(i64::from(k.cancelled)),
                            Cell::Amount(k.minutes_in_use),
                        ]
                    })
                    .collect()
            }),
        )
        .map_err(failed)?;
    }
    if breakdowns {
        section(
            &mut book,
            report,
            suppression,
            "Nurse queue",
            &[
                "date",
                "reason or priority",
                "joined",
                "seen",
                "left without being seen",
                "cancelled",
                "median wait (minutes)",
                "90th percentile wait (minutes)",
            ],
            Rows::Cells(&|day: &DayCounts| {
                std::iter::once(&day.nurse.all)
                    .chain(&day.nurse.by_priority)
                    .chain(&day.nurse.by_reason)
                    .map(|f| {
                        vec![
                            Cell::Text(day.date.clone()),
                            Cell::Text(f.group.clone()),
                            Cell::Count(i64::from(f.joined)),
                            Cell::Count(i64::from(f.seen)),
                            Cell::Count(i64::from(f.left_without_being_seen)),
                            Cell::Count(i64::from(f.cancelled)),
                            Cell::Wait {
                                minutes: f.median_wait_minutes,
                                people: i64::from(f.seen),
                            },
                            Cell::Wait {
                                minutes: f.p90_wait_minutes,
                                people: i64::from(f.seen),
                            },
                        ]
                    })
                    .collect()
            }),
        )
        .map_err(failed)?;
    }
    section(
        &mut book,
        report,
        suppression,
        "Incidents",
        &[
            "date",
            "incidents",
            "overdoses",
            "naloxone doses",
            "EMS called",
        ],
        Rows::Texts(&|d, _| {
            vec![[
                "date",
                "incidents",
                "overdoses",
                "naloxone_doses",
                "ems_called",
            ]
            .map(|name| of_day(d, name))
            .to_vec()]
        }),
    )
    .map_err(failed)?;
    if breakdowns {
        section(
            &mut book,
            report,
            suppression,
            "Referrals",
            &[
                "date",
                "group",
                "made",
                "open",
                "accepted",
                "completed",
                "declined",
                "no-show",
                "cancelled",
            ],
            Rows::Cells(&|day: &DayCounts| {
                day.referrals
                    .iter()
                    .map(|g| {
                        let mut cells =
                            vec![Cell::Text(day.date.clone()), Cell::Text(g.grouping.clone())];
                        cells.extend(
                            [
                                g.made,
                                g.open,
                                g.accepted,
                                g.completed,
                                g.declined,
                                g.no_show,
                                g.cancelled,
                            ]
                            .map(|n| Cell::Count(i64::from(n))),
                        );
                        cells
                    })
                    .collect()
            }),
        )
        .map_err(failed)?;
    }
    section(
        &mut book,
        report,
        suppression,
        "Alerts and restrictions",
        &["date", "alerts issued", "restrictions issued"],
        Rows::Texts(&|d, _| {
            vec![["date", "alerts_issued", "restrictions_issued"]
                .map(|name| of_day(d, name))
                .to_vec()]
        }),
    )
    .map_err(failed)?;
    book.save_to_buffer().map_err(failed)
}

fn number(cell: &Cell) -> i64 {
    match cell {
        Cell::Count(n) | Cell::Amount(n) => *n,
        _ => 0,
    }
}

fn col_index(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// Title, range, generation time and suppression at the top of a sheet; returns the next
/// free row.
fn heading(
    sheet: &mut Worksheet,
    report: &Report,
    title: &str,
    suppression: Suppression,
    bold: &Format,
) -> std::result::Result<u32, rust_xlsxwriter::XlsxError> {
    sheet.write_string_with_format(0, 0, format!("Engagement Desk: {title}"), bold)?;
    sheet.write_string(1, 0, format!("Range: {} to {}", report.from, report.to))?;
    sheet.write_string(2, 0, format!("Generated: {}", report.generated_local))?;
    let note = match suppression.threshold {
        Some(t) => format!(
            "Counts from 1 to {t} are shown as <{}; other counts that would let one of them \
             be worked out are shown as suppressed; breakdowns by kind, reason and group are \
             left out so that hidden counts cannot be worked out",
            t + 1
        ),
        None => "Not suppressed: for use inside the center".to_string(),
    };
    sheet.write_string(3, 0, note)?;
    Ok(5)
}

/// A section's rows for a day: cells (small counts hidden, nothing more: cells in no
/// identity, or a workbook that hides nothing), or the texts already decided for the
/// Days sheet (columns that the Days sheet repeats), by the day's index.
enum Rows<'a> {
    Cells(&'a dyn Fn(&DayCounts) -> Vec<Vec<Cell>>),
    Texts(&'a dyn Fn(usize, &DayCounts) -> Vec<Vec<String>>),
}

/// A sheet of rows per day under a header.
fn section(
    book: &mut Workbook,
    report: &Report,
    suppression: Suppression,
    name: &str,
    header: &[&str],
    rows: Rows<'_>,
) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet().set_name(name)?;
    let mut row = heading(sheet, report, name, suppression, &bold)?;
    for (i, text) in header.iter().enumerate() {
        sheet.write_string_with_format(row, col_index(i), *text, &bold)?;
    }
    row += 1;
    for (d, day) in report.days.iter().enumerate() {
        let texts = match &rows {
            Rows::Cells(cells) => cells(day)
                .iter()
                .map(|cells| cell_texts(cells, suppression))
                .collect(),
            Rows::Texts(texts) => texts(d, day),
        };
        for texts in texts {
            for (i, text) in texts.iter().enumerate() {
                write_value(sheet, row, col_index(i), text)?;
            }
            row += 1;
        }
    }
    Ok(())
}

/// Numbers as numbers (so spreadsheets can add them up), everything else as text.
fn write_value(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    text: &str,
) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
    match text.parse::<i64>() {
        Ok(n) if !text.starts_with('+') => {
            #[allow(clippy::cast_precision_loss)] // counts are far below 2^53
            sheet.write_number(row, col, n as f64)?;
        }
        _ => {
            sheet.write_string(row, col, text)?;
        }
    }
    Ok(())
}

/// The file formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }
}

/// The report as the bytes of a file of `format`.
pub fn render(report: &Report, format: ExportFormat, suppression: Suppression) -> Result<Vec<u8>> {
    match format {
        ExportFormat::Csv => csv_bytes(report, suppression),
        ExportFormat::Xlsx => xlsx_bytes(report, suppression),
    }
}

/// What an export's audit entry says: the format and whether small cells were hidden.
pub fn describe(format: ExportFormat, suppression: Suppression) -> String {
    match suppression.threshold {
        Some(t) => format!("format={} suppressed<={t}", format.extension()),
        None => format!("format={} not suppressed", format.extension()),
    }
}
