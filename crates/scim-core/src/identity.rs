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
    /// Nothing is left once white space is trimmed.
    #[error("is empty once white space is trimmed")]
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

/// Refuse a value that names no identity: one holding a `Cc` or `Cf` character, or only
/// white space.
pub fn check(value: &str) -> Result<(), IdentityError> {
    let categories = CodePointMapData::<GeneralCategory>::new();
    for c in value.chars() {
        match categories.get(c) {
            GeneralCategory::Control => return Err(IdentityError::Control(c)),
            GeneralCategory::Format => return Err(IdentityError::Format(c)),
            _ => {}
        }
    }
    if value.trim().is_empty() {
        return Err(IdentityError::Empty);
    }
    Ok(())
}

/// The identity key of `value`: `toNFKC_Casefold` of it trimmed of `White_Space`. Total:
/// a value [`check`] refuses still has a key (a filter literal that can match nothing,
/// a row stored before the rule).
pub fn key(value: &str) -> String {
    nfkc_casefold(value.trim()).into_owned()
}

/// `toNFKC_Casefold(text)`, untrimmed (what `sw`, `co` and `ew` compare a part of a key
/// with).
pub fn nfkc_casefold(text: &str) -> Cow<'_, str> {
    if text
        .bytes()
        .all(|b| b.is_ascii_graphic() && !b.is_ascii_uppercase() || b == b' ')
    {
        // Printable ASCII without capitals is its own key: the common case, no allocation.
        return Cow::Borrowed(text);
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

    #[test]
    fn controls_formats_and_blank_values_name_no_identity() {
        let table: &[(&str, Result<(), IdentityError>)] = &[
            ("ann", Ok(())),
            (" ann ", Ok(())),
            ("Jos\u{e9}", Ok(())),
            ("", Err(IdentityError::Empty)),
            ("   ", Err(IdentityError::Empty)),
            ("\u{3000}\u{a0}", Err(IdentityError::Empty)),
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
