//! Free text people type (reasons, summaries, locations, names): trimmed, bounded, and free of
//! control characters, so nothing stored and shown to a court carries NUL or terminal escapes.

/// Characters that do not show but change how text compares: zero-width spaces and joiners,
/// the word joiner, the byte-order mark and the soft hyphen.
pub fn invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// One line (a name, a location): no control characters at all.
pub fn line(s: &str, max: usize) -> Result<String, String> {
    checked(s, max, false)
}

/// Several lines (a reason, a summary, notes): line breaks and tabs allowed, no other control character.
pub fn paragraphs(s: &str, max: usize) -> Result<String, String> {
    checked(s, max, true)
}

/// A required text field of a request: the parsed text, or `None` with the field's error named
/// in `errors` (so one answer names every bad field).
pub fn required(
    value: Option<&str>,
    field: &str,
    parse: impl Fn(&str) -> Result<String, String>,
    errors: &mut Vec<crate::FieldError>,
) -> Option<String> {
    match value.map(parse) {
        Some(Ok(text)) => Some(text),
        Some(Err(message)) => {
            errors.push(crate::FieldError::new(field, message));
            None
        }
        None => {
            errors.push(crate::FieldError::new(field, "is required"));
            None
        }
    }
}

fn checked(s: &str, max: usize, multiline: bool) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("must not be empty".into());
    }
    if t.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if t.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err("must not contain control characters".into());
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_and_line_breaks_only_in_paragraphs() {
        assert!(line("Room 4\u{0}", 100).is_err());
        assert!(paragraphs("a\u{1b}[31m", 100).is_err());
        assert_eq!(paragraphs(" first\r\nsecond\t ", 100).unwrap(), "first\r\nsecond");
        assert!(line("first\nsecond", 100).is_err());
        assert!(line("   ", 100).is_err());
        assert!(line("abc", 2).is_err());
    }
}
