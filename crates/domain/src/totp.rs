//! Time-based one-time passwords (RFC 6238, as authenticator apps use them): six digits,
//! 30-second steps, HMAC-SHA1, and Base32 secrets. Pure: the time is a parameter.
//!
//! A code is accepted for the current step and one step either side (clock drift), and never
//! twice: the caller keeps the last step used and passes it in.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;

/// A TOTP secret (20 random bytes, as most apps expect).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

impl Secret {
    /// A secret from raw bytes (the caller supplies randomness).
    pub fn from_bytes(bytes: [u8; 20]) -> Secret {
        Secret(bytes.to_vec())
    }

    /// Parses a Base32 secret (upper or lower case, spaces and `=` ignored).
    pub fn from_base32(s: &str) -> Option<Secret> {
        let mut bits: u64 = 0;
        let mut count = 0;
        let mut out = Vec::new();
        for c in s.chars().filter(|c| !c.is_whitespace() && *c != '=') {
            let v = ALPHABET
                .iter()
                .position(|a| *a == c.to_ascii_uppercase() as u8)? as u64;
            bits = (bits << 5) | v;
            count += 5;
            if count >= 8 {
                count -= 8;
                out.push((bits >> count) as u8);
                bits &= (1 << count) - 1;
            }
        }
        (out.len() >= 10).then_some(Secret(out))
    }

    /// The secret in Base32 without padding, for authenticator apps.
    pub fn to_base32(&self) -> String {
        let mut out = String::new();
        let mut bits: u64 = 0;
        let mut count = 0;
        for b in &self.0 {
            bits = (bits << 8) | u64::from(*b);
            count += 8;
            while count >= 5 {
                count -= 5;
                out.push(ALPHABET[((bits >> count) & 31) as usize] as char);
            }
            bits &= (1 << count) - 1;
        }
        if count > 0 {
            out.push(ALPHABET[((bits << (5 - count)) & 31) as usize] as char);
        }
        out
    }

    /// An `otpauth://` address for authenticator apps.
    pub fn uri(&self, issuer: &str, account: &str) -> String {
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect()
        };
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
            enc(issuer),
            enc(account),
            self.to_base32(),
            enc(issuer)
        )
    }
}

/// The step of a Unix time.
pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP)
}

/// The code for a step (RFC 4226 dynamic truncation).
pub fn code_at_step(secret: &Secret, step: i64) -> u32 {
    let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(&secret.0) else {
        return 0;
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[digest.len() - 1] & 0x0f) as usize;
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    value % 10u32.pow(DIGITS)
}

/// The code for a time, as six digits.
pub fn code_at(secret: &Secret, unix_seconds: i64) -> String {
    format!("{:06}", code_at_step(secret, step_of(unix_seconds)))
}

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("Enter the 6-digit code from your authenticator app")]
    Format,
    #[error("The code is wrong or has expired: enter the code your app shows now")]
    Wrong,
    #[error("That code has been used already: wait for the next one")]
    Reused,
}

/// Checks a typed code at `unix_seconds`, allowing one step of drift either way and refusing
/// any step at or before `last_used_step`. Returns the step matched (store it as the new
/// last used step).
pub fn verify(
    secret: &Secret,
    typed: &str,
    unix_seconds: i64,
    last_used_step: Option<i64>,
) -> Result<i64, CodeError> {
    let digits: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if digits.len() != DIGITS as usize || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(CodeError::Format);
    }
    let now = step_of(unix_seconds);
    let mut reused = false;
    for step in [now, now - 1, now + 1] {
        if format!("{:06}", code_at_step(secret, step)) == digits {
            if last_used_step.is_some_and(|last| step <= last) {
                reused = true;
                continue;
            }
            return Ok(step);
        }
    }
    Err(if reused {
        CodeError::Reused
    } else {
        CodeError::Wrong
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rfc_secret() -> Secret {
        // RFC 6238 appendix B: the ASCII key "12345678901234567890".
        Secret(b"12345678901234567890".to_vec())
    }

    #[test]
    fn rfc_6238_test_vectors_match() {
        // The RFC's 8-digit values, reduced to their last six digits.
        for (t, expected) in [
            (59, 94287082u32),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
        ] {
            assert_eq!(
                code_at_step(&rfc_secret(), step_of(t)),
                expected % 1_000_000,
                "t = {t}"
            );
        }
    }

    #[test]
    fn codes_are_accepted_once_within_one_step_of_drift() {
        let s = rfc_secret();
        let t = 1_234_567_890;
        let code = code_at(&s, t);
        let step = verify(&s, &code, t, None).unwrap();
        assert_eq!(verify(&s, &code, t, Some(step)), Err(CodeError::Reused));
        assert!(
            verify(&s, &code, t + STEP, None).is_ok(),
            "one step late is fine"
        );
        assert_eq!(verify(&s, &code, t + 3 * STEP, None), Err(CodeError::Wrong));
        assert_eq!(verify(&s, "12345", t, None), Err(CodeError::Format));
        assert_eq!(verify(&s, "abcdef", t, None), Err(CodeError::Format));
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(verify(&s, &spaced, t, None).is_ok(), "spaces are ignored");
    }

    #[test]
    fn base32_round_trips_and_the_uri_names_the_account() {
        let s = Secret::from_bytes(*b"12345678901234567890");
        assert_eq!(s.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            Secret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq"),
            Some(s.clone())
        );
        assert_eq!(Secret::from_base32("not base32!"), None);
        assert!(
            s.uri("Senco", "a@b.example")
                .starts_with("otpauth://totp/Senco:a%40b.example?secret=GEZD")
        );
        assert_eq!(format!("{s:?}"), "Secret(***)");
    }

    proptest! {
        #[test]
        fn any_secret_round_trips_through_base32(bytes in proptest::array::uniform20(any::<u8>())) {
            let s = Secret::from_bytes(bytes);
            prop_assert_eq!(Secret::from_base32(&s.to_base32()), Some(s));
        }

        #[test]
        fn the_current_code_always_verifies(bytes in proptest::array::uniform20(any::<u8>()), t in 0i64..4_000_000_000) {
            let s = Secret::from_bytes(bytes);
            prop_assert!(verify(&s, &code_at(&s, t), t, None).is_ok());
        }
    }
}
