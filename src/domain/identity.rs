//! Identity keys: 居民身份证号 (GB 11643, ISO 7064 MOD 11-2) and 统一社会信用代码 (GB 32100),
//! plus the keyed hash and masked form that are all shikong ever stores of a person's number.

use chrono::{Datelike, NaiveDate};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// MOD 11-2 weights for the first 17 digits of an ID number.
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character by weighted sum mod 11.
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// Why a string is not a valid 18-digit ID number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    /// Not 17 digits followed by a digit or X.
    #[error("ID number must be 17 digits and a digit or X")]
    Format,
    /// The embedded birth date (digits 7–14) is not a real date, or lies in the future.
    #[error("ID number has an invalid birth date")]
    BirthDate,
    /// The MOD 11-2 check character does not match.
    #[error("ID number check digit is wrong")]
    CheckDigit,
}

/// The MOD 11-2 check character for the first 17 digits (which must be ASCII digits).
pub fn id_check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    ID_CHECK[(sum % 11) as usize]
}

/// Validates an ID number's format, birth date (not after `today`) and check digit.
/// Lower-case `x` is accepted, as clerks type it.
pub fn validate_id_number(id: &str, today: NaiveDate) -> Result<NaiveDate, IdNumberError> {
    let bytes = id.as_bytes();
    if bytes.len() != 18
        || !bytes[..17].iter().all(u8::is_ascii_digit)
        || !(bytes[17].is_ascii_digit() || bytes[17] == b'X' || bytes[17] == b'x')
    {
        return Err(IdNumberError::Format);
    }
    // Digits only here (checked above): read YYYYMMDD directly, a strftime parse per row
    // is a tenth of ingest time.
    let number = |range: std::ops::Range<usize>| {
        bytes[range]
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
    };
    let birth = NaiveDate::from_ymd_opt(number(6..10) as i32, number(10..12), number(12..14))
        .filter(|d| *d <= today && d.year() >= 1880)
        .ok_or(IdNumberError::BirthDate)?;
    if id_check_char(&bytes[..17]) != bytes[17].to_ascii_uppercase() {
        return Err(IdNumberError::CheckDigit);
    }
    Ok(birth)
}

/// The 18-digit form of a first-generation 15-digit ID number (GB 11643-1999: `19` before
/// the two-digit birth year, then the check character), or `None` for anything else.
/// Older registers still hold them; upgraded, a person matches across datasets.
pub fn upgrade_id_number(id: &str) -> Option<String> {
    let bytes = id.as_bytes();
    if bytes.len() != 15 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut upgraded = String::with_capacity(18);
    upgraded.push_str(&id[..6]);
    upgraded.push_str("19");
    upgraded.push_str(&id[6..]);
    let check = id_check_char(upgraded.as_bytes());
    upgraded.push(check as char);
    Some(upgraded)
}

/// An ID number in its 18-digit form: a 15-digit one upgraded, anything else as given.
pub fn eighteen_digit_id(id: &str) -> std::borrow::Cow<'_, str> {
    upgrade_id_number(id).map_or(std::borrow::Cow::Borrowed(id), std::borrow::Cow::Owned)
}

/// Builds a valid ID number from a region code, a birth date and a 3-digit sequence
/// (odd for men, even for women).
pub fn make_id_number(region: u32, birth: NaiveDate, sequence: u16) -> String {
    let mut id = format!(
        "{region:06}{}{:03}",
        birth.format("%Y%m%d"),
        sequence % 1000
    );
    let check = id_check_char(id.as_bytes());
    id.push(check as char);
    id
}

/// The masked form shown to caseworkers: first four and last four characters.
pub fn mask_id_number(id: &str) -> String {
    let n = id.chars().count();
    if n < 8 {
        return "*".repeat(n);
    }
    // Byte offsets of the 5th and the 4th-from-last character: one allocation, any script.
    let offset = |i: usize| id.char_indices().nth(i).map_or(id.len(), |(at, _)| at);
    let (head, tail) = (offset(4), offset(n - 4));
    let mut masked = String::with_capacity(head + (n - 8) + (id.len() - tail));
    masked.push_str(&id[..head]);
    masked.extend(std::iter::repeat_n('*', n - 8));
    masked.push_str(&id[tail..]);
    masked
}

/// Keyed hash (HMAC-SHA256) of person identifiers: equal numbers join, but a stolen database
/// cannot be reversed by enumerating the small space of valid ID numbers without the key.
#[derive(Clone)]
pub struct PersonHasher {
    mac: Hmac<Sha256>,
}

impl PersonHasher {
    /// A hasher for a secret key (at least 16 bytes).
    pub fn new(key: &[u8]) -> Result<Self, &'static str> {
        if key.len() < 16 {
            return Err("HMAC key must be at least 16 bytes");
        }
        let mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| "invalid HMAC key")?;
        Ok(PersonHasher { mac })
    }

    /// Hex HMAC-SHA256 of the upper-cased ID number.
    pub fn hash_id_number(&self, id: &str) -> String {
        let mut mac = self.mac.clone();
        // Upper-cased (a copy) only when it has a lower-case letter: most numbers have none.
        if id.bytes().any(|b| b.is_ascii_lowercase()) {
            mac.update(id.to_ascii_uppercase().as_bytes());
        } else {
            mac.update(id.as_bytes());
        }
        lower_hex(&mac.finalize().into_bytes())
    }
}

/// The identity of an organization or facility in checksums: SHA-256 of the upper-case
/// credit code, hex (public codes need no key).
pub fn credit_identity(code: &str) -> String {
    use sha2::Digest;
    lower_hex(&Sha256::digest(code.to_ascii_uppercase().as_bytes()))
}

/// Lower-case hex of a digest into one buffer (`hex::encode` builds it char by char).
fn lower_hex(bytes: &[u8]) -> String {
    let mut out = vec![0; bytes.len() * 2];
    hex::encode_to_slice(bytes, &mut out).expect("the buffer is twice the input");
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// The order-independent checksum of a set of rows (部省对账): the sum, modulo 2^64, of the
/// first 64 bits (16 hex digits) of each row's identity hash, as 16 hex digits. Sums of
/// disjoint slices add up, so a province can declare per file or per month.
pub fn identity_checksum<'a>(identities: impl IntoIterator<Item = &'a str>) -> String {
    let sum = identities
        .into_iter()
        .filter_map(|h| u64::from_str_radix(h.get(..16)?, 16).ok())
        .fold(0u64, u64::wrapping_add);
    format!("{sum:016x}")
}

/// Characters allowed in a 统一社会信用代码 (no I, O, Z, S, V).
const CREDIT_CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// GB 32100 weights: 3^i mod 31.
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// The GB 32100 check character for the first 17 characters, or None if one is not allowed.
pub fn credit_check_char(first17: &[u8]) -> Option<u8> {
    let mut sum = 0u32;
    for (c, w) in first17.iter().zip(CREDIT_WEIGHTS) {
        let value = CREDIT_CHARSET.iter().position(|x| x == c)? as u32;
        sum += value * w;
    }
    Some(CREDIT_CHARSET[((31 - sum % 31) % 31) as usize])
}

/// Whether a 统一社会信用代码 has 18 allowed characters and a correct check character.
pub fn validate_credit_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    bytes.len() == 18 && credit_check_char(&bytes[..17]) == Some(bytes[17])
}

/// Builds a valid credit code: registration authority + type (e.g. `51` 民政 社会团体 is `5`,`1`),
/// the 6-digit region, and a 9-character organization serial.
pub fn make_credit_code(authority_and_type: &str, region: u32, serial: u64) -> String {
    let mut body = format!("{authority_and_type}{region:06}");
    let mut n = serial;
    let mut tail = [b'0'; 9];
    for slot in tail.iter_mut().rev() {
        *slot = CREDIT_CHARSET[(n % 31) as usize];
        n /= 31;
    }
    body.push_str(std::str::from_utf8(&tail).expect("ASCII charset"));
    let check = credit_check_char(body.as_bytes()).expect("charset characters only");
    body.push(check as char);
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
    }

    #[test]
    fn upgrades_fifteen_digit_numbers() {
        // 15 digits: region 110105, born 49-12-31, sequence 002.
        let upgraded = upgrade_id_number("110105491231002").unwrap();
        assert_eq!(upgraded, "11010519491231002X");
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert!(validate_id_number(&upgraded, today).is_ok());
        assert_eq!(upgrade_id_number("11010549123100"), None);
        assert_eq!(upgrade_id_number("11010549123100X"), None);
        assert_eq!(upgrade_id_number("11010519491231002X"), None);
    }

    #[test]
    fn known_id_numbers_validate() {
        // The GB 11643 standard's own example, and a widely published sample with an X check.
        assert!(validate_id_number("11010519491231002X", today()).is_ok());
        assert!(validate_id_number("440524188001010014", today()).is_ok());
        assert_eq!(
            validate_id_number("110105194912310021", today()),
            Err(IdNumberError::CheckDigit)
        );
    }

    #[test]
    fn made_numbers_validate_and_errors_are_specific() {
        let birth = NaiveDate::from_ymd_opt(1950, 6, 30).unwrap();
        for seq in [0, 1, 7, 999] {
            let id = make_id_number(330_102, birth, seq);
            assert_eq!(validate_id_number(&id, today()), Ok(birth));
            assert_eq!(validate_id_number(&id.to_lowercase(), today()), Ok(birth));
        }
        assert_eq!(
            validate_id_number("33010219500230001X", today()),
            Err(IdNumberError::BirthDate)
        );
        assert_eq!(
            validate_id_number("330102205006300011", today()),
            Err(IdNumberError::BirthDate)
        );
        assert_eq!(
            validate_id_number("3301021950063000", today()),
            Err(IdNumberError::Format)
        );
        assert_eq!(
            validate_id_number("33010219500630001Y", today()),
            Err(IdNumberError::Format)
        );
    }

    #[test]
    fn masking_hides_the_middle() {
        assert_eq!(mask_id_number("11010519491231002X"), "1101**********002X");
        assert_eq!(mask_id_number("abc"), "***");
        assert_eq!(mask_id_number("12345678"), "12345678");
        assert_eq!(mask_id_number("张三李四王五赵六孙七"), "张三李四**赵六孙七");
    }

    #[test]
    fn hashing_is_keyed_and_case_insensitive() {
        let a = PersonHasher::new(b"0123456789abcdef").unwrap();
        let b = PersonHasher::new(b"fedcba9876543210").unwrap();
        let id = "11010519491231002X";
        assert_eq!(a.hash_id_number(id), a.hash_id_number(&id.to_lowercase()));
        assert_ne!(a.hash_id_number(id), b.hash_id_number(id));
        assert_eq!(a.hash_id_number(id).len(), 64);
        // The same as the textbook HMAC-SHA256 of the upper-case number, hex-encoded.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"0123456789abcdef").unwrap();
        mac.update(id.as_bytes());
        let reference = hex::encode(mac.finalize().into_bytes());
        assert_eq!(a.hash_id_number(id), reference);
        assert_eq!(a.hash_id_number("11010519491231002x"), reference);
        assert!(PersonHasher::new(b"short").is_err());
    }

    #[test]
    fn credit_codes() {
        // A published example of a valid 统一社会信用代码.
        assert!(validate_credit_code("91350100M000100Y43"));
        assert!(!validate_credit_code("91350100M000100Y44"));
        assert!(!validate_credit_code("91350100M000100Y4"));
        for serial in [0, 1, 12_345, 999_999_999] {
            let code = make_credit_code("51", 110_105, serial);
            assert!(validate_credit_code(&code), "{code}");
        }
    }
}
