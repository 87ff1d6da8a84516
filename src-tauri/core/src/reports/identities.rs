//! The relations that hold between a report's own figures, on every day and over the
//! range (README: "Counts that add up"). A funder checks these first; a report that
//! breaks one is wrong. Tests check them on random simulated days and on a year of demo
//! data; the suppressed export protects the same relations ([`super::export::identities`]).

use super::{DayCounts, DayStatus, Report};

/// Every relation `report` breaks, each said in words with its numbers; empty when the
/// report adds up.
pub fn broken(report: &Report) -> Vec<String> {
    let mut found = Vec::new();
    for day in &report.days {
        check_day(day, &mut found);
    }
    check_range(report, &mut found);
    found
}

fn check_day(day: &DayCounts, found: &mut Vec<String>) {
    let mut need = |holds: bool, what: String| {
        if !holds {
            found.push(format!("{}: {what}", day.date));
        }
    };
    // A day still under way may have people in the queue and bookings still to come;
    // every other day has settled them.
    let settled = day.status != DayStatus::Provisional;
    need(
        day.new_guests <= day.unique_guests,
        format!("new {} ≤ unique {}", day.new_guests, day.unique_guests),
    );
    need(
        day.unique_guests <= day.visits,
        format!("unique {} ≤ visits {}", day.unique_guests, day.visits),
    );
    need(
        day.settled_at_day_end <= day.visits,
        format!(
            "settled at day end {} ≤ visits {}",
            day.settled_at_day_end, day.visits
        ),
    );
    need(
        day.corrections_after_close <= day.visits + day.anonymous_tallies,
        format!(
            "corrections {} ≤ visits {} + tallies {}",
            day.corrections_after_close, day.visits, day.anonymous_tallies
        ),
    );
    need(
        day.peak_occupancy <= day.visits + day.anonymous_tallies,
        format!(
            "peak {} ≤ visits {} + people counted without a code {}",
            day.peak_occupancy, day.visits, day.anonymous_tallies
        ),
    );
    let hourly_peak = day.occupancy_by_hour.iter().map(|h| h.peak).max();
    need(
        hourly_peak.unwrap_or(0) == day.peak_occupancy,
        format!(
            "peak {} = the highest hour {hourly_peak:?}",
            day.peak_occupancy
        ),
    );
    for kind in &day.services {
        let ended = kind.done + kind.no_shows + kind.cancelled;
        need(
            if settled {
                ended == kind.booked
            } else {
                ended <= kind.booked
            },
            format!(
                "{}: done {} + no-shows {} + cancelled {} {} booked {}",
                kind.kind,
                kind.done,
                kind.no_shows,
                kind.cancelled,
                if settled { "=" } else { "≤" },
                kind.booked
            ),
        );
        // A use lasts at most the day it is on (25 hours when clocks go back).
        need(
            (0..=i64::from(kind.done) * 25 * 60).contains(&kind.minutes_in_use),
            format!(
                "{}: 0 ≤ minutes in use {} ≤ uses {} × 25 h",
                kind.kind, kind.minutes_in_use, kind.done
            ),
        );
    }
    let nurse = &day.nurse;
    for figures in std::iter::once(&nurse.all)
        .chain(&nurse.by_reason)
        .chain(&nurse.by_priority)
    {
        let ended = figures.seen + figures.left_without_being_seen + figures.cancelled;
        need(
            if settled {
                ended == figures.joined
            } else {
                ended <= figures.joined
            },
            format!(
                "nurse {}: seen {} + left {} + cancelled {} {} joined {}",
                figures.group,
                figures.seen,
                figures.left_without_being_seen,
                figures.cancelled,
                if settled { "=" } else { "≤" },
                figures.joined
            ),
        );
    }
    for (name, groups) in [
        ("reason", &nurse.by_reason),
        ("priority", &nurse.by_priority),
    ] {
        let joined: u32 = groups.iter().map(|g| g.joined).sum();
        need(
            joined == nurse.all.joined,
            format!(
                "nurse joined by {name} {joined} = joined {}",
                nurse.all.joined
            ),
        );
    }
    let incidents = &nurse.incidents;
    need(
        incidents.overdoses <= incidents.incidents && incidents.ems_called <= incidents.incidents,
        format!(
            "overdoses {} and EMS called {} ≤ incidents {}",
            incidents.overdoses, incidents.ems_called, incidents.incidents
        ),
    );
    for group in &day.referrals {
        let outcomes = group.open
            + group.accepted
            + group.completed
            + group.declined
            + group.no_show
            + group.cancelled;
        need(
            outcomes == group.made,
            format!(
                "referrals {}: outcomes {outcomes} = made {}",
                group.grouping, group.made
            ),
        );
    }
}

fn check_range(report: &Report, found: &mut Vec<String>) {
    let days = &report.days;
    let sum_unique: u32 = days.iter().map(|d| d.unique_guests).sum();
    let most_unique = days.iter().map(|d| d.unique_guests).max().unwrap_or(0);
    let sum_new: u32 = days.iter().map(|d| d.new_guests).sum();
    let range = report.unique_guests_in_range;
    let range_name = format!("{} to {}", report.from, report.to);
    if range > sum_unique {
        found.push(format!(
            "{range_name}: unique guests {range} ≤ the days' sum {sum_unique}"
        ));
    }
    if range < most_unique {
        found.push(format!(
            "{range_name}: unique guests {range} ≥ the busiest day's {most_unique}"
        ));
    }
    if sum_new > range {
        found.push(format!(
            "{range_name}: new guests {sum_new} ≤ unique guests {range}"
        ));
    }
}

#[cfg(test)]
mod tests;
