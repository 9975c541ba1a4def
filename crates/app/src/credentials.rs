//! Secrets: passphrases (Argon2id, off the async worker threads), random tokens and their
//! hashes, and constant-time comparison. Pages, API and the command line all hash and check
//! through here.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use senco_domain::person::Passphrase;
use sha2::{Digest, Sha256};

/// Hashes a passphrase with Argon2id (default parameters: 19 MiB, 2 passes, 1 lane).
///
/// This blocks for tens of milliseconds: request handlers call [`hash_passphrase_off_thread`]
/// instead, and only the command line calls this directly.
pub fn hash_passphrase(p: &Passphrase) -> anyhow::Result<String> {
    let hash = Argon2::default()
        .hash_password(p.expose().as_bytes())
        .map_err(|e| anyhow::anyhow!("hashing the passphrase failed: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `candidate` matches the stored PHC string, exactly as typed (blocking).
fn verify_passphrase(stored: &str, candidate: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Verifies against a real hash made with the same parameters, for accounts that have no
/// passphrase or do not exist, so those take as long as a wrong passphrase (blocking).
fn dummy_verify(candidate: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stored = DUMMY.get_or_init(|| {
        Argon2::default()
            .hash_password(b"senco timing equaliser")
            .map(|h| h.to_string())
            .unwrap_or_default()
    });
    let _ = verify_passphrase(stored, candidate);
}

/// How many Argon2 computations may run at once: one per core. More would only make each
/// one slower, and the async worker threads must stay free to answer other requests.
fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| tokio::sync::Semaphore::new(hashing_width()))
}

/// The number of Argon2 computations allowed at once (the number of cores, at least 1).
pub fn hashing_width() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Runs CPU-heavy work (Argon2) on tokio's blocking pool, at most [`hashing_width`] at a
/// time; callers beyond that wait without holding a worker thread.
pub async fn off_thread<T, F>(work: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    // The semaphore is never closed, so acquiring only waits.
    let _permit = hashing_permits().acquire().await;
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        // A panic in the work surfaces in the request, where the router's middleware
        // answers with the generic error page.
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Hashes a passphrase off the async worker threads (see [`off_thread`]).
pub async fn hash_passphrase_off_thread(p: &Passphrase) -> anyhow::Result<String> {
    let p = p.clone();
    off_thread(move || hash_passphrase(&p)).await
}

/// Whether `candidate` is the passphrase behind `stored`, checked off the async worker
/// threads. Without a stored hash (an unknown account, or one without a passphrase) the
/// same Argon2 work is done against a dummy hash and the answer is `false`, so the two
/// cannot be told apart by time. Call it only for an attempt already counted
/// (`claim_attempt` in the web crate).
pub async fn check_passphrase(stored: Option<String>, candidate: &str) -> bool {
    let candidate = candidate.to_string();
    off_thread(move || match stored {
        Some(hash) => verify_passphrase(&hash, &candidate),
        None => {
            dummy_verify(&candidate);
            false
        }
    })
    .await
}

/// A new 256-bit random secret, as 64 hex characters.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // getrandom only fails when the operating system has no randomness at all.
    if getrandom::fill(&mut bytes).is_err() {
        std::process::abort();
    }
    hex(&bytes)
}

/// The SHA-256 of a secret, as stored in the database.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Compares two secrets in time that depends only on their length.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_hex_and_differ() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token());
        assert_eq!(hash_token(&a).len(), 64);
    }

    /// Argon2 runs on the blocking pool, never more at once than there are cores, and the
    /// async worker threads stay free meanwhile (issue 16, point 4).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashing_runs_on_a_bounded_blocking_pool() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..(hashing_width() * 4 + 4) {
            let (running, most) = (running.clone(), most.clone());
            set.spawn(off_thread(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                // Blocking here is allowed only off the async workers: on a worker thread
                // `block_on` panics ("Cannot start a runtime from within a runtime").
                tokio::runtime::Handle::current().block_on(async {});
                let p = Passphrase::parse("correct horse battery").unwrap();
                let ok = hash_passphrase(&p).is_ok();
                running.fetch_sub(1, Ordering::SeqCst);
                ok
            }));
        }
        while let Some(done) = set.join_next().await {
            assert!(done.unwrap());
        }
        let most = most.load(Ordering::SeqCst);
        assert!(most >= 1 && most <= hashing_width(), "{most} at once");
    }

    #[tokio::test]
    async fn unknown_accounts_are_checked_against_a_dummy_hash() {
        assert!(!check_passphrase(None, "correct horse battery").await);
        let p = Passphrase::parse("correct horse battery").unwrap();
        let h = hash_passphrase_off_thread(&p).await.unwrap();
        assert!(check_passphrase(Some(h.clone()), "correct horse battery").await);
        assert!(!check_passphrase(Some(h), "correct horse batter").await);
    }

    #[test]
    fn passphrases_verify_exactly_as_typed() {
        let p = Passphrase::parse("correct horse battery").unwrap();
        let h = hash_passphrase(&p).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_passphrase(&h, "correct horse battery"));
        assert!(!verify_passphrase(&h, "correct horse batter"));
        assert!(!verify_passphrase(&h, "Correct horse battery"));
        assert!(!verify_passphrase("not a hash", "x"));
    }
}
