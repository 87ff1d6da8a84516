//! Password hashing (Argon2id) and the password policy (after NIST SP 800-63B).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{AppError, ErrorCode, Result};

/// At least 12 characters; up to 128 allowed (more than the 64 the policy asks for);
/// nothing is truncated and there are no composition rules.
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19_456;
const PASSES: u32 = 2;
const LANES: u32 = 1;

fn hasher() -> Result<Argon2<'static>> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
        .map_err(|err| AppError::internal(format!("Argon2 parameters: {err}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A fresh Argon2id hash with a random salt, as a full PHC string.
pub(crate) fn hash(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| AppError::internal(format!("hashing the password failed: {err}")))
}

/// Check a password against a stored PHC string (whatever parameters it was made with).
pub(crate) fn verify(password: &str, stored: &str) -> Result<bool> {
    let parsed = PasswordHash::new(stored).map_err(|err| {
        AppError::new(
            ErrorCode::Storage,
            format!("a stored password hash is unreadable: {err}"),
        )
    })?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// True when a stored hash is weaker than (or different from) today's parameters.
pub(crate) fn needs_rehash(stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    if parsed.algorithm.as_str() != "argon2id" {
        return true;
    }
    let Ok(params) = Params::try_from(&parsed) else {
        return true;
    };
    params.m_cost() < MEMORY_KIB || params.t_cost() < PASSES || params.p_cost() != LANES
}

/// Spend the time of one verification, so an unknown username is not revealed by speed.
pub(crate) fn burn_time(password: &str) {
    let salt = SaltString::generate(&mut OsRng);
    if let Ok(argon) = hasher() {
        let _ = argon.hash_password(password.as_bytes(), &salt);
    }
}

/// Refuse short, over-long, common or guessable passwords and those containing the
/// username or display name, saying why.
pub fn check_password_policy(password: &str, username: &str, display_name: &str) -> Result<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid_input(
            "password",
            format!(
                "use at least {MIN_PASSWORD_CHARS} characters (a few words together work well)"
            ),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(AppError::invalid_input(
            "password",
            format!("use at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    let lowered = password.to_lowercase();
    let username = username.trim().to_lowercase();
    if username.chars().count() >= 3 && lowered.contains(&username) {
        return Err(AppError::invalid_input(
            "password",
            "must not contain your username",
        ));
    }
    for part in display_name.split_whitespace().map(str::to_lowercase) {
        if part.chars().count() >= 3 && lowered.contains(&part) {
            return Err(AppError::invalid_input(
                "password",
                "must not contain your name",
            ));
        }
    }
    let inputs = [
        username.as_str(),
        display_name,
        "engagement",
        "desk",
        "center",
    ];
    let estimate = zxcvbn::zxcvbn(password, &inputs);
    if (estimate.score() as u8) < 3 {
        let why = estimate
            .feedback()
            .and_then(|feedback| feedback.warning().map(|warning| warning.to_string()))
            .unwrap_or_else(|| "it is too easy to guess".to_string());
        return Err(AppError::invalid_input(
            "password",
            format!(
                "{why}; choose something longer or less common (a few unrelated words work well)"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_the_owasp_parameters_and_a_random_salt() {
        let first = hash("correct horse battery staple").expect("hash");
        let second = hash("correct horse battery staple").expect("hash");
        assert!(
            first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "PHC string with parameters: {first}"
        );
        assert_ne!(first, second, "a random salt per hash");
        assert!(
            verify("correct horse battery staple", &first).expect("verify"),
            "the right password verifies"
        );
        assert!(
            !verify("correct horse battery stapl", &first).expect("verify"),
            "a wrong one does not"
        );
        assert!(!needs_rehash(&first), "today's hashes need no upgrade");
    }

    #[test]
    fn weaker_hashes_are_flagged_for_upgrade() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8, 1, 1, None).expect("params"),
        )
        .hash_password(
            b"a password of some length",
            &SaltString::generate(&mut OsRng),
        )
        .expect("weak hash")
        .to_string();
        assert!(needs_rehash(&weak), "m=8,t=1 is below the minimum");
        assert!(
            verify("a password of some length", &weak).expect("verify"),
            "old hashes still verify"
        );
    }

    #[test]
    fn the_policy_says_why_a_password_is_refused() {
        let refuse = |password: &str| {
            check_password_policy(password, "mrivera", "Maria Rivera")
                .expect_err("refused")
                .message
        };
        assert!(refuse("short").contains("at least 12"), "too short");
        assert!(refuse(&"x".repeat(129)).contains("at most 128"), "too long");
        assert!(
            refuse("mrivera-likes-tea-2026").contains("username"),
            "contains the username"
        );
        assert!(
            refuse("rivera walks the dog daily").contains("name"),
            "contains the name"
        );
        assert!(
            refuse("password1234").contains("password"),
            "a common password is refused"
        );
        assert!(
            refuse("aaaaaaaaaaaaaaaa").contains("guess")
                || refuse("aaaaaaaaaaaaaaaa").contains("Repeat"),
            "repeats are refused"
        );
    }

    #[test]
    fn long_unusual_passphrases_are_accepted_without_composition_rules() {
        check_password_policy(
            "tangerine lighthouse gravel opera",
            "mrivera",
            "Maria Rivera",
        )
        .expect("a passphrase of plain lowercase words is fine");
        let long = "tangerine lighthouse gravel opera velvet monsoon quartz ladder kiwi";
        assert!(
            long.chars().count() >= 64,
            "the test phrase is at least 64 characters"
        );
        check_password_policy(long, "mrivera", "Maria Rivera")
            .expect("64 characters and more are allowed");
    }
}
