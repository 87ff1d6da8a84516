// Every command the web view may call is declared here; Tauri generates an `allow-<name>`
// permission for each, and only those granted in capabilities/ are callable.
const COMMANDS: &[&str] = &[
    "app_status",
    "first_run_needed",
    "create_first_admin",
    "login",
    "logout",
    "current_session",
    "lock_session",
    "unlock_session",
    "change_password",
    "list_staff",
    "create_staff",
    "set_staff_roles",
    "set_staff_disabled",
    "reset_staff_password",
    "unlock_staff",
    "set_idle_lock_minutes",
    "view_audit_log",
    "verify_audit_log",
    "desk_today",
    "lookup_guest",
    "check_in_guest",
    "register_and_check_in",
    "check_out_visit",
    "undo_check_in",
    "count_anonymous_guest",
    "guest_answer_sets",
    "set_building_capacity",
    "record_guest_flag",
    "lift_guest_flag",
    "current_guest_flags",
    "merge_guests",
    "close_day",
    "schedule_board",
    "book_service",
    "change_booking",
    "join_waitlist",
    "set_resource_out_of_order",
    "resource_kinds",
    "save_resource_kind",
    "save_resource",
    "set_opening_hours",
    "block_period",
    "set_no_show_grace",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .unwrap_or_else(|err| panic!("tauri build step failed: {err:#}"));
}
