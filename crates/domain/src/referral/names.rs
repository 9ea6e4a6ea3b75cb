//! Names as staff look parents up by them.

/// How many parents one surname finds at most (its lookup's one Query).
pub const NAMED_AT_MOST: usize = 50;

/// A surname as the name lookup keys it, however it was typed: trimmed, lower case, without
/// invisible characters, inner whitespace one space ("  van  der BERG " is "van der berg").
/// `None` when nothing is left.
pub fn surname_key(surname: &str) -> Option<String> {
    let visible: String = surname.chars().filter(|c| !crate::text::invisible(*c)).collect();
    let key = visible.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    (!key.is_empty()).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::surname_key;

    #[test]
    fn given_a_surname_typed_loosely_when_keyed_then_it_is_the_stored_surnames_key() {
        let typed = ["Hartley", " HARTLEY ", "hart\u{200B}ley", "  van \t der  BERG ", "Ó Briain"];

        let keys: Vec<_> = typed.iter().map(|s| surname_key(s)).collect();

        let expected = ["hartley", "hartley", "hartley", "van der berg", "ó briain"];
        assert_eq!(keys, expected.map(|k| Some(k.to_owned())));
    }

    #[test]
    fn given_nothing_but_space_when_keyed_then_there_is_no_key() {
        assert_eq!([surname_key(""), surname_key("  \t "), surname_key("\u{FEFF}")], [None, None, None]);
    }
}
