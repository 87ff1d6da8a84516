//! Guest codes: five random characters and a check character, from an alphabet without
//! look-alikes (no 0/O, 1/I/L, U/V confusion), written `K7M-4QX`.
//!
//! The check character is the Luhn mod N algorithm over the alphabet, so a single mistyped
//! character or two swapped neighbours is caught instead of finding someone else.

use argon2::password_hash::rand_core::{OsRng, RngCore};

use crate::error::{AppError, Result};

/// The characters codes are made of: digits 2–9 and letters without I, L, O and U.
pub const ALPHABET: &[u8; 30] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a code, the check character included.
pub const CODE_LEN: usize = 6;

fn value(ch: u8) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&a| a == ch)
        .and_then(|i| u32::try_from(i).ok())
}

fn luhn_sum(values: impl DoubleEndedIterator<Item = u32>, first_factor: u32) -> u32 {
    let n = ALPHABET.len() as u32;
    let mut factor = first_factor;
    let mut sum = 0;
    for v in values.rev() {
        let addend = factor * v;
        sum += addend / n + addend % n;
        factor = if factor == 2 { 1 } else { 2 };
    }
    sum
}

/// The check character for `data` (characters from the alphabet).
pub fn check_char(data: &[u8]) -> u8 {
    let n = ALPHABET.len() as u32;
    let sum = luhn_sum(data.iter().filter_map(|&c| value(c)), 2);
    let check = (n - sum % n) % n;
    ALPHABET[check as usize]
}

/// A new random code (canonical form, no dash).
pub fn generate() -> String {
    let mut data = Vec::with_capacity(CODE_LEN);
    let mut bytes = [0u8; 16];
    while data.len() < CODE_LEN - 1 {
        OsRng.fill_bytes(&mut bytes);
        // 240 is a multiple of 30: rejecting larger bytes keeps every character equally likely.
        for &b in bytes.iter().filter(|&&b| b < 240) {
            if data.len() < CODE_LEN - 1 {
                data.push(ALPHABET[usize::from(b) % ALPHABET.len()]);
            }
        }
    }
    data.push(check_char(&data));
    String::from_utf8_lossy(&data).into_owned()
}

/// `K7M4QX` as people read it: `K7M-4QX`.
pub fn display(code: &str) -> String {
    // Only a real code (ASCII) is split; anything else typed is shown as it came.
    if code.len() == CODE_LEN && code.is_ascii() {
        format!("{}-{}", &code[..3], &code[3..])
    } else {
        code.to_string()
    }
}

/// What was typed, without spaces and dashes, in capitals.
pub fn compact(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\u{2010}'..='\u{2015}'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// A typed code in canonical form, or why it cannot be a code.
pub fn parse(typed: &str) -> Result<String> {
    parse_field("code", typed)
}

/// [`parse`], naming `field` in the error.
pub fn parse_field(field: &str, typed: &str) -> Result<String> {
    let code = compact(typed);
    let shown = display(&code);
    if code.chars().count() != CODE_LEN {
        return Err(AppError::invalid_input(
            field,
            format!(
                "a code has {CODE_LEN} characters, like K7M-4QX; {shown:?} has {}",
                code.chars().count()
            ),
        ));
    }
    if let Some(bad) = code.bytes().find(|&b| value(b).is_none()) {
        let hint = match bad {
            b'0' | b'O' => " (codes use neither 0 nor O)",
            b'1' | b'I' | b'L' => " (codes use none of 1, I and L)",
            b'U' => " (codes never use U)",
            _ => "",
        };
        let bad = char::from(bad);
        return Err(AppError::invalid_input(
            field,
            format!("{bad:?} does not occur in codes{hint}; check {shown:?} again"),
        ));
    }
    let values: Vec<u32> = code.bytes().filter_map(value).collect();
    if !luhn_sum(values.into_iter(), 1).is_multiple_of(ALPHABET.len() as u32) {
        return Err(AppError::invalid_input(
            field,
            format!("{shown} is not a valid code (its check character does not match); it was probably mistyped"),
        ));
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn generated_codes_are_valid_and_use_only_the_alphabet() {
        for _ in 0..500 {
            let code = generate();
            assert_eq!(code.len(), CODE_LEN, "six characters");
            assert!(
                code.bytes().all(|b| ALPHABET.contains(&b)),
                "{code} uses the alphabet"
            );
            assert_eq!(
                parse(&code).expect("valid"),
                code,
                "a generated code parses to itself"
            );
        }
    }

    #[test]
    fn dashes_spaces_and_case_do_not_matter() {
        let code = generate();
        let typed = format!(" {}-{} ", code[..3].to_lowercase(), &code[3..]);
        assert_eq!(parse(&typed).expect("valid"), code, "{typed:?} is {code}");
        assert_eq!(display(&code).len(), 7, "shown with a dash");
    }

    #[test]
    fn every_single_character_typo_and_neighbour_swap_is_caught() {
        let code = generate();
        let bytes = code.as_bytes();
        for i in 0..CODE_LEN {
            for &other in ALPHABET.iter().filter(|&&c| c != bytes[i]) {
                let mut typo = bytes.to_vec();
                typo[i] = other;
                let typo = String::from_utf8(typo).expect("ascii");
                let err = parse(&typo).expect_err("a typo is caught");
                assert_eq!(err.code, ErrorCode::InvalidInput, "{typo} is refused");
            }
        }
        for i in 0..CODE_LEN - 1 {
            if bytes[i] == bytes[i + 1] {
                continue;
            }
            let mut swapped = bytes.to_vec();
            swapped.swap(i, i + 1);
            let swapped = String::from_utf8(swapped).expect("ascii");
            // Luhn mod N misses only the swap of two specific values; say which if it happens.
            if parse(&swapped).is_ok() {
                let pair = (value(bytes[i]), value(bytes[i + 1]));
                assert!(
                    matches!(pair, (Some(0), Some(29)) | (Some(29), Some(0))),
                    "{code} -> {swapped} was not caught"
                );
            }
        }
    }

    #[test]
    fn look_alike_characters_are_explained() {
        let err = parse("K0M-4QX").expect_err("0 is not used");
        assert!(err.message.contains("neither 0 nor O"), "{}", err.message);
        let err = parse("K7M-4Q").expect_err("too short");
        assert!(err.message.contains("6 characters"), "{}", err.message);
        let err = parse("'; DROP TABLE guests; --").expect_err("not a code");
        assert_eq!(err.code, ErrorCode::InvalidInput, "{}", err.message);
    }
}
