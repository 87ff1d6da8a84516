//! The window face: Tauri setup and the list of commands the web view may call.

use std::path::Path;
use std::process::ExitCode;

use engagement_desk_core::{AppError, ErrorCode};

use crate::state::AppState;
use crate::{cli, commands};

/// A clean exit moves the audit anchor beside the database to the newest entry (see
/// `audit::anchor`); a failure is printed, and the next backup or exit tries again.
fn anchor_on_exit(handle: &tauri::AppHandle) {
    use tauri::Manager;
    let state = handle.state::<AppState>();
    if !state.has_database() {
        return; // nothing was opened, nothing to anchor
    }
    if let Err(err) = state.with_db(engagement_desk_core::audit::anchor_head) {
        cli::print_error(&err);
    }
}

pub fn run(explicit_db: Option<&Path>) -> ExitCode {
    let state = AppState::open(explicit_db);
    let outcome = tauri::Builder::default()
        // The save dialog is opened from Rust for exports; the web view gets no dialog or
        // file-system permission (none is granted in capabilities/).
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::first_run_needed,
            commands::create_first_admin,
            commands::login,
            commands::logout,
            commands::current_session,
            commands::lock_session,
            commands::unlock_session,
            commands::change_password,
            commands::list_staff,
            commands::create_staff,
            commands::set_staff_roles,
            commands::set_staff_disabled,
            commands::reset_staff_password,
            commands::unlock_staff,
            commands::set_idle_lock_minutes,
            commands::view_audit_log,
            commands::verify_audit_log,
            commands::desk_today,
            commands::lookup_guest,
            commands::check_in_guest,
            commands::register_and_check_in,
            commands::check_out_visit,
            commands::undo_check_in,
            commands::count_anonymous_guest,
            commands::guest_answer_sets,
            commands::set_building_capacity,
            commands::record_guest_flag,
            commands::lift_guest_flag,
            commands::current_guest_flags,
            commands::merge_guests,
            commands::close_day,
            commands::days_left_open,
            commands::close_earlier_day,
            commands::closing_time,
            commands::set_closing_time,
            commands::schedule_board,
            commands::book_service,
            commands::change_booking,
            commands::join_waitlist,
            commands::set_resource_out_of_order,
            commands::resource_kinds,
            commands::save_resource_kind,
            commands::save_resource,
            commands::set_opening_hours,
            commands::block_period,
            commands::set_no_show_grace,
            commands::queue_desk_view,
            commands::queue_nurse_view,
            commands::queue_join,
            commands::queue_call_next,
            commands::queue_change,
            commands::queue_undo,
            commands::queue_add_note,
            commands::queue_read_notes,
            commands::record_incident,
            commands::incidents_today,
            commands::save_queue_reason,
            commands::save_nurse_station,
            commands::referrals_today,
            commands::make_referral,
            commands::referrals_for_guest,
            commands::open_referral,
            commands::change_referral_status,
            commands::set_referral_follow_up,
            commands::add_referral_note,
            commands::record_consent,
            commands::revoke_consent,
            commands::referral_printout,
            commands::save_partner,
            commands::report_counts,
            commands::export_counts,
            commands::small_cell_threshold,
            commands::set_small_cell_threshold,
            commands::backup_overview,
            commands::back_up_now,
            commands::set_backup_keep,
            commands::describe_backup,
            commands::choose_backup_file,
            commands::restore_backup,
        ])
        .build(tauri::generate_context!())
        .map(|app| {
            app.run(|handle, event| {
                if let tauri::RunEvent::Exit = event {
                    anchor_on_exit(handle);
                }
            });
        });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            cli::print_error(&AppError::new(
                ErrorCode::Internal,
                format!("the window could not be started: {err}"),
            ));
            ExitCode::FAILURE
        }
    }
}
