//! Typed text as the whole core checks it: trimmed, a length limit, and no control or
//! text-direction characters (they can disguise text on screen, in exports and in the
//! audit log). The ground floor: every domain that takes free text uses it.

use crate::error::{AppError, Result};

/// Characters that change the direction text is shown in (marks, embeddings, overrides,
/// isolates): refused in typed text, since they make what is shown differ from what is stored.
pub(crate) fn is_direction_mark(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// Check a free-text field: trimmed, at most `max` characters, no control or
/// text-direction characters; empty is `None`.
pub(crate) fn clean_text(field: &str, text: Option<&str>, max: usize) -> Result<Option<String>> {
    clean(field, text, max, false)
}

/// Like [`clean_text`] for notes of several lines: line breaks and tabs are kept (`\r\n`
/// becomes `\n`); other control and bidi characters are refused.
pub(crate) fn clean_note(field: &str, text: &str, max: usize) -> Result<Option<String>> {
    clean(field, Some(&text.replace("\r\n", "\n")), max, true)
}

fn clean(field: &str, text: Option<&str>, max: usize, lines: bool) -> Result<Option<String>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(AppError::invalid_input(
            field,
            format!("at most {max} characters"),
        ));
    }
    let allowed = |c: char| lines && matches!(c, '\n' | '\t');
    if text
        .chars()
        .any(|c| (c.is_control() && !allowed(c)) || is_direction_mark(c))
    {
        return Err(AppError::invalid_input(
            field,
            "contains control or text-direction characters; type it again",
        ));
    }
    Ok(Some(text.to_string()))
}
