//! The language something sent to a person is written in: the recipient's, never the
//! sender's. A letter to parents is in the pupil's language for letters
//! (`Pupil::language`, passed to `senco_i18n::messages` where the letter is made); an email
//! is in the recipient account's language.

use senco_domain::lang::Lang;
use senco_i18n::Messages;

/// The language of an email to `address`. Accounts hold no language yet, so every email is
/// English; when they do, this reads the account's.
pub fn email_language(_address: &str) -> Lang {
    Lang::English
}

/// The catalogue an email to `address` is worded from.
pub fn email_words(address: &str) -> &'static Messages {
    senco_i18n::messages(email_language(address))
}
