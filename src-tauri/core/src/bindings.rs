//! The TypeScript mirror of the types the UI shares with Rust, generated with ts-rs.
//!
//! The files live in `ui/src/lib/bindings` and are committed. The test below fails when
//! they differ from what the Rust types generate; `make bindings` (which sets
//! `UPDATE_BINDINGS=1`) rewrites them.

use ts_rs::{Config, TS};

use crate::audit::{AuditEntry, BrokenLink, LogLine, LogPage, LogQuery, Outcome, VerifyReport};
use crate::auth::{NewStaff, Operation, Role, SessionInfo, StaffSummary};
use crate::backup::{BackupFile, BackupMade, BackupOverview, ListedBackup, RestoreDone};
use crate::db::{CheckReport, OpenReport};
use crate::error::{AppError, ErrorCode};
use crate::guests::{Answer, AnswerSets, GuestCard, NewGuest};
use crate::queue::incidents::{
    Incident, IncidentCounts, IncidentInput, IncidentKind, IncidentOutcome,
};
use crate::queue::{
    ClinicalNote, DeskLine, DeskQueue, JoinInput, NurseQueue, Priority, QueueAnswer, QueueCounts,
    QueueEntry, QueueState, ReasonOption, Station, WaitFigures,
};
use crate::referrals::{
    Category, Consent, ConsentInput, FollowUp, GuestReferrals, NurseTeamReminder, Partner,
    PartnerInput, Printout, Referral, ReferralDetail, ReferralGroupCounts, ReferralInput,
    ReferralNote, ReferralStatus, ReferralsToday, WarmHandoff,
};
use crate::reports::export::ExportFormat;
use crate::reports::{DayCounts, DayStatus, HourOccupancy, Report};
use crate::restrictions::{Flag, FlagKind, FlagRecorded, NewFlag, Scope};
use crate::schedule::{
    BlockInput, Board, BoardResource, Booking, BookingState, BookingTarget, KindCounts, KindInput,
    KindSummary, ResourceInput, WaitingGuest,
};
use crate::status::AppStatus;
use crate::visits::{
    CheckedIn, DayClosure, DaysLeftOpen, DeskToday, InsideGuest, Lookup, Occupancy, OccupancyLevel,
    OpenDay, Undoable,
};

/// Every generated binding as (file name, contents).
pub fn generated() -> Result<Vec<(String, String)>, String> {
    let cfg = Config::new();
    let mut files = Vec::new();
    push::<ErrorCode>(&cfg, &mut files)?;
    push::<AppError>(&cfg, &mut files)?;
    push::<OpenReport>(&cfg, &mut files)?;
    push::<CheckReport>(&cfg, &mut files)?;
    push::<AppStatus>(&cfg, &mut files)?;
    push::<BackupMade>(&cfg, &mut files)?;
    push::<BackupFile>(&cfg, &mut files)?;
    push::<RestoreDone>(&cfg, &mut files)?;
    push::<ListedBackup>(&cfg, &mut files)?;
    push::<BackupOverview>(&cfg, &mut files)?;
    push::<Role>(&cfg, &mut files)?;
    push::<Operation>(&cfg, &mut files)?;
    push::<SessionInfo>(&cfg, &mut files)?;
    push::<StaffSummary>(&cfg, &mut files)?;
    push::<NewStaff>(&cfg, &mut files)?;
    push::<Outcome>(&cfg, &mut files)?;
    push::<AuditEntry>(&cfg, &mut files)?;
    push::<VerifyReport>(&cfg, &mut files)?;
    push::<BrokenLink>(&cfg, &mut files)?;
    push::<LogQuery>(&cfg, &mut files)?;
    push::<LogLine>(&cfg, &mut files)?;
    push::<LogPage>(&cfg, &mut files)?;
    push::<Answer>(&cfg, &mut files)?;
    push::<AnswerSets>(&cfg, &mut files)?;
    push::<NewGuest>(&cfg, &mut files)?;
    push::<GuestCard>(&cfg, &mut files)?;
    push::<Lookup>(&cfg, &mut files)?;
    push::<OccupancyLevel>(&cfg, &mut files)?;
    push::<Occupancy>(&cfg, &mut files)?;
    push::<InsideGuest>(&cfg, &mut files)?;
    push::<Undoable>(&cfg, &mut files)?;
    push::<DayClosure>(&cfg, &mut files)?;
    push::<DeskToday>(&cfg, &mut files)?;
    push::<DaysLeftOpen>(&cfg, &mut files)?;
    push::<OpenDay>(&cfg, &mut files)?;
    push::<CheckedIn>(&cfg, &mut files)?;
    push::<FlagKind>(&cfg, &mut files)?;
    push::<Scope>(&cfg, &mut files)?;
    push::<Flag>(&cfg, &mut files)?;
    push::<NewFlag>(&cfg, &mut files)?;
    push::<FlagRecorded>(&cfg, &mut files)?;
    push::<BookingState>(&cfg, &mut files)?;
    push::<Booking>(&cfg, &mut files)?;
    push::<BookingTarget>(&cfg, &mut files)?;
    push::<BoardResource>(&cfg, &mut files)?;
    push::<WaitingGuest>(&cfg, &mut files)?;
    push::<Board>(&cfg, &mut files)?;
    push::<ResourceInput>(&cfg, &mut files)?;
    push::<KindCounts>(&cfg, &mut files)?;
    push::<BlockInput>(&cfg, &mut files)?;
    push::<KindInput>(&cfg, &mut files)?;
    push::<KindSummary>(&cfg, &mut files)?;
    push::<QueueState>(&cfg, &mut files)?;
    push::<Priority>(&cfg, &mut files)?;
    push::<ReasonOption>(&cfg, &mut files)?;
    push::<Station>(&cfg, &mut files)?;
    push::<QueueEntry>(&cfg, &mut files)?;
    push::<DeskLine>(&cfg, &mut files)?;
    push::<QueueAnswer>(&cfg, &mut files)?;
    push::<DeskQueue>(&cfg, &mut files)?;
    push::<NurseQueue>(&cfg, &mut files)?;
    push::<JoinInput>(&cfg, &mut files)?;
    push::<ClinicalNote>(&cfg, &mut files)?;
    push::<WaitFigures>(&cfg, &mut files)?;
    push::<QueueCounts>(&cfg, &mut files)?;
    push::<IncidentKind>(&cfg, &mut files)?;
    push::<IncidentOutcome>(&cfg, &mut files)?;
    push::<IncidentInput>(&cfg, &mut files)?;
    push::<Incident>(&cfg, &mut files)?;
    push::<IncidentCounts>(&cfg, &mut files)?;
    push::<ReferralStatus>(&cfg, &mut files)?;
    push::<Category>(&cfg, &mut files)?;
    push::<Partner>(&cfg, &mut files)?;
    push::<PartnerInput>(&cfg, &mut files)?;
    push::<Referral>(&cfg, &mut files)?;
    push::<ReferralNote>(&cfg, &mut files)?;
    push::<Consent>(&cfg, &mut files)?;
    push::<ConsentInput>(&cfg, &mut files)?;
    push::<ReferralDetail>(&cfg, &mut files)?;
    push::<ReferralInput>(&cfg, &mut files)?;
    push::<GuestReferrals>(&cfg, &mut files)?;
    push::<FollowUp>(&cfg, &mut files)?;
    push::<NurseTeamReminder>(&cfg, &mut files)?;
    push::<WarmHandoff>(&cfg, &mut files)?;
    push::<ReferralsToday>(&cfg, &mut files)?;
    push::<Printout>(&cfg, &mut files)?;
    push::<ReferralGroupCounts>(&cfg, &mut files)?;
    push::<DayStatus>(&cfg, &mut files)?;
    push::<HourOccupancy>(&cfg, &mut files)?;
    push::<DayCounts>(&cfg, &mut files)?;
    push::<Report>(&cfg, &mut files)?;
    push::<ExportFormat>(&cfg, &mut files)?;
    Ok(files)
}

fn push<T: TS + 'static>(cfg: &Config, files: &mut Vec<(String, String)>) -> Result<(), String> {
    let name = format!("{}.ts", T::ident(cfg));
    let text = T::export_to_string(cfg).map_err(|err| format!("{name}: {err}"))?;
    files.push((name, text));
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    fn bindings_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings")
    }

    #[test]
    fn committed_typescript_bindings_match_the_rust_types() {
        let files = super::generated().expect("every shared type can be exported");
        let dir = bindings_dir();
        let update = std::env::var("UPDATE_BINDINGS").is_ok_and(|value| value == "1");
        let mut stale = Vec::new();
        for (name, text) in &files {
            let path = dir.join(name);
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            if committed != *text {
                if update {
                    std::fs::write(&path, text).expect("bindings folder is writable");
                } else {
                    stale.push(name.clone());
                }
            }
        }
        assert!(
            stale.is_empty(),
            "TypeScript bindings are out of date ({stale:?}); run `make bindings` and commit the result"
        );
    }
}
