//! The audit log as supervisors and administrators look at it: who may look, and whether
//! they read clinical details. Apart from the log itself (`audit`), which every domain
//! writes to and which therefore must not depend on the permission rules in `auth`.

use crate::audit::{self, LogPage, LogQuery, VerifyReport};
use crate::auth::{self, Actor, Operation};
use crate::clock::Clock;
use crate::db::Database;
use crate::error::Result;

/// Whether the viewer may read clinical details: staff holding the clinical permission.
/// The command line never reads the log, and administrators only see that such entries
/// exist ("minimum necessary").
fn reads_clinical_details(actor: &Actor<'_>) -> bool {
    match actor {
        Actor::Staff(session) => auth::allows(&session.roles, Operation::ReadClinicalNotes),
        Actor::Cli { .. } => false,
    }
}

/// The audit log viewer (supervisors and administrators). Looking is itself logged. Clinical
/// details are shown only to roles that hold the clinical permission; the hash chain still
/// covers the full text.
pub fn view_log(
    db: &mut Database,
    clock: &dyn Clock,
    actor: &mut Actor<'_>,
    query: &LogQuery,
) -> Result<LogPage> {
    auth::authorize_actor(db, clock, actor, Operation::AuditView)?;
    let clinical = reads_clinical_details(actor);
    audit::viewed_page(db, clock, &actor.audit_name(), clinical, query)
}

/// Check the hash chain from the window (supervisors and administrators); the check is logged.
pub fn verify_log(
    db: &mut Database,
    clock: &dyn Clock,
    actor: &mut Actor<'_>,
) -> Result<VerifyReport> {
    auth::authorize_actor(db, clock, actor, Operation::AuditView)?;
    audit::verified(db, clock, &actor.audit_name())
}
