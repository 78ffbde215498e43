//! Identity keys: when two `userName`s (or two group `displayName`s) name the same
//! identity. Decided (issue 20): the key is `toNFKC_Casefold` (Unicode §3.13) of the
//! value trimmed of `White_Space`, so `José` written with one code point or with `e` and
//! a combining accent, fullwidth `ｆｕｌｌ` and `full`, `Straße` and `STRASSE` are one
//! identity. The stored value keeps what the client sent; the key is what uniqueness and
//! the filters (`userName eq …`, in SQL and in memory alike) compare.
//!
//! A value holding a control (`Cc`) or format (`Cf`) character, or nothing but white space,
//! names no identity: [`check`] refuses it. No other PRECIS class rule applies.
//!
//! The Unicode data is ICU4X's: NFKC from `icu_normalizer`, full case folding from
//! `icu_casemap`, `Default_Ignorable_Code_Point` and the general categories from
//! `icu_properties`. `NFKC_Casefold` is derived from them as the UCD derives it: default
//! ignorables removed, then `NFKC(toCasefold(NFKC(x)))` until it no longer changes.

use std::borrow::Cow;

use icu_casemap::CaseMapperBorrowed;
use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory};
use icu_properties::{CodePointMapData, CodePointSetData};

/// Why a value names no identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// Nothing is left of its key: only white space or default-ignorable characters.
    #[error("is blank: only white space or invisible characters")]
    Empty,
    /// It holds a control character (general category `Cc`).
    #[error("holds the control character U+{:04X}", u32::from(*.0))]
    Control(char),
    /// It holds a format character (general category `Cf`, e.g. a zero-width joiner).
    #[error("holds the format character U+{:04X}", u32::from(*.0))]
    Format(char),
}

/// The attribute that names a resource of the type whose core schema is `schema`:
/// `userName` for a User, `displayName` for a Group.
pub fn identity_attribute(schema: &str) -> Option<&'static str> {
    if schema.eq_ignore_ascii_case(crate::urn::USER) {
        Some("userName")
    } else if schema.eq_ignore_ascii_case(crate::urn::GROUP) {
        Some("displayName")
    } else {
        None
    }
}

/// Refuse a value that names no identity: one holding a `Cc` or `Cf` character, or whose
/// key is empty.
pub fn check(value: &str) -> Result<(), IdentityError> {
    let categories = CodePointMapData::<GeneralCategory>::new();
    for c in value.chars() {
        match categories.get(c) {
            GeneralCategory::Control => return Err(IdentityError::Control(c)),
            GeneralCategory::Format => return Err(IdentityError::Format(c)),
            _ => {}
        }
    }
    if key(value).is_empty() {
        return Err(IdentityError::Empty);
    }
    Ok(())
}

/// The identity key of `value`: `toNFKC_Casefold` of it, trimmed of `White_Space`
/// (after the mapping, which turns e.g. an ideographic space or a spacing macron into
/// U+0020, so that a key is its own key). Total: a value [`check`] refuses still has a key
/// (a filter literal that can match nothing, a row stored before the rule).
pub fn key(value: &str) -> String {
    match nfkc_casefold(value) {
        Cow::Borrowed(text) => text.trim().to_owned(),
        Cow::Owned(text) => match text.trim() {
            trimmed if trimmed.len() == text.len() => text,
            trimmed => trimmed.to_owned(),
        },
    }
}

/// `toNFKC_Casefold(text)`, untrimmed (what `sw`, `co` and `ew` compare a part of a key
/// with).
pub fn nfkc_casefold(text: &str) -> Cow<'_, str> {
    if text.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        // Printable ASCII is stable under NFKC and folds to its lower case: the common
        // case, without the Unicode tables (and without allocating when already lower).
        return if text.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(text.to_ascii_lowercase())
        } else {
            Cow::Borrowed(text)
        };
    }
    let nfkc = ComposingNormalizerBorrowed::new_nfkc();
    let fold = CaseMapperBorrowed::new();
    let ignorable = CodePointSetData::new::<DefaultIgnorableCodePoint>();
    let mut current: String = text.chars().filter(|&c| !ignorable.contains(c)).collect();
    // Each round is NFKC(toCasefold(NFKC(x))); the UCD's mapping is its fixed point, which
    // every string reaches in one or two rounds (the bound only guards the loop).
    for _ in 0..4 {
        let normalized = nfkc.normalize(&current);
        let folded = fold.fold_string(&normalized);
        let next: String = nfkc
            .normalize(&folded)
            .chars()
            .filter(|&c| !ignorable.contains(c))
            .collect();
        if next == current {
            break;
        }
        current = next;
    }
    Cow::Owned(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_that_look_the_same_have_one_key() {
        let table: &[(&str, &str)] = &[
            ("Jos\u{e9}", "jos\u{e9}"),
            ("Jose\u{301}", "jos\u{e9}"),
            ("\u{ff46}\u{ff55}\u{ff4c}\u{ff4c}", "full"),
            ("FULL", "full"),
            ("  full\u{3000}", "full"),
            ("Stra\u{df}e", "strasse"),
            ("STRASSE", "strasse"),
            ("\u{fb01}le", "file"),
            ("\u{212a}elvin", "kelvin"),
            ("\u{3a3}\u{391}\u{3a3}", "\u{3c3}\u{3b1}\u{3c3}"),
            ("\u{3c3}\u{3b1}\u{3c2}", "\u{3c3}\u{3b1}\u{3c3}"),
            ("ann@example.com", "ann@example.com"),
            ("Ann@Example.COM", "ann@example.com"),
            ("\u{2460}", "1"),
            ("a\u{ad}b", "ab"),
            ("a\u{200b}b", "ab"),
            ("\u{130}", "i\u{307}"),
            ("a b", "a b"),
            ("\u{af}", "\u{304}"),
            ("\u{3000}x\u{3000}", "x"),
        ];
        for (value, expected) in table {
            assert_eq!(key(value), *expected, "{value:?}");
            assert_eq!(
                key(&key(value)),
                key(value),
                "{value:?}: a key is its own key"
            );
        }
    }

    proptest::proptest! {
        /// The ASCII shortcut gives what the Unicode path gives.
        #[test]
        fn printable_ascii_keys_are_their_lower_case(text in "[ -~]{0,40}") {
            let ignorable = CodePointSetData::new::<DefaultIgnorableCodePoint>();
            let nfkc = ComposingNormalizerBorrowed::new_nfkc();
            let fold = CaseMapperBorrowed::new();
            let slow: String = nfkc
                .normalize(&fold.fold_string(&nfkc.normalize(&text)))
                .chars()
                .filter(|&c| !ignorable.contains(c))
                .collect();
            proptest::prop_assert_eq!(nfkc_casefold(&text).into_owned(), slow);
        }

        /// A key is its own key, whatever the input.
        #[test]
        fn keys_are_fixed_points(text in "\\PC{0,24}") {
            let once = key(&text);
            proptest::prop_assert_eq!(key(&once), once);
        }
    }

    #[test]
    fn controls_formats_and_blank_values_name_no_identity() {
        let table: &[(&str, Result<(), IdentityError>)] = &[
            ("ann", Ok(())),
            (" ann ", Ok(())),
            ("Jos\u{e9}", Ok(())),
            ("", Err(IdentityError::Empty)),
            ("   ", Err(IdentityError::Empty)),
            ("\u{3000}\u{a0}", Err(IdentityError::Empty)),
            ("\u{115f}", Err(IdentityError::Empty)),
            ("\u{af}", Ok(())),
            ("a\u{1}b", Err(IdentityError::Control('\u{1}'))),
            ("a\tb", Err(IdentityError::Control('\t'))),
            ("ann\n", Err(IdentityError::Control('\n'))),
            ("a\u{7f}", Err(IdentityError::Control('\u{7f}'))),
            ("a\u{85}", Err(IdentityError::Control('\u{85}'))),
            ("a\u{200d}b", Err(IdentityError::Format('\u{200d}'))),
            ("\u{feff}ann", Err(IdentityError::Format('\u{feff}'))),
            ("a\u{202e}b", Err(IdentityError::Format('\u{202e}'))),
            ("a\u{ad}b", Err(IdentityError::Format('\u{ad}'))),
        ];
        for (value, expected) in table {
            assert_eq!(check(value), *expected, "{value:?}");
        }
    }
}
