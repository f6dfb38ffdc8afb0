//! `binary/encrypted`: AES-256-GCM with a random 96-bit nonce and no associated data.
//! We write `data = nonce || ciphertext || tag`, the layout of the Go, Python, Java and .NET
//! samples (the .NET one since samples-dotnet 5e0bbe7, 2024-10-07) and of every standard AEAD
//! API. Copies of the .NET sample from before that commit wrote `nonce || tag || ciphertext`
//! under the same metadata, and histories they wrote still hold it; nothing in the payload
//! tells the two apart, so decryption tries ours first and tag-first only when the tag does
//! not verify.

use crate::error::{invalid, Error, ErrorKind, Result};
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use std::fmt;

pub const KEY_LEN: usize = 32;
pub const NONCE_LEN: usize = 12;
pub const TAG_LEN: usize = 16;
/// The only cipher name the Java sample writes in `encryption-cipher`.
pub const JAVA_CIPHER_NAME: &[u8] = b"AES/GCM/NoPadding";

/// One named key. The expanded key schedule is zeroized on drop (aes-gcm's `zeroize`
/// feature); the raw bytes are never stored.
pub struct Key {
    /// Any bytes, the empty id included: the `encryption-key-id` metadata value is bytes, and
    /// the Go sample's codec server writes an empty one.
    id: Vec<u8>,
    cipher: Aes256Gcm,
}

impl Key {
    pub fn new(id: &[u8], bytes: &[u8]) -> Result<Self> {
        if bytes.len() != KEY_LEN {
            return Err(invalid(format!(
                "key {} is {} bytes; AES-256 needs exactly {KEY_LEN}",
                shown_id(id),
                bytes.len()
            )));
        }
        let cipher = Aes256Gcm::new_from_slice(bytes).expect("length checked above");
        Ok(Key {
            id: id.to_owned(),
            cipher,
        })
    }

    pub fn id(&self) -> &[u8] {
        &self.id
    }

    /// Appends `nonce || ciphertext || tag` of `plaintext` to `out`.
    pub fn seal(&self, nonce: &[u8; NONCE_LEN], plaintext: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(nonce);
        let at = out.len();
        out.extend_from_slice(plaintext);
        let tag = self
            .cipher
            .encrypt_inout_detached(&Nonce::from(*nonce), &[], (&mut out[at..]).into())
            .expect("plaintext is far below GCM's 64 GiB limit");
        out.extend_from_slice(&tag);
    }

    /// Writes the plaintext of `nonce || ciphertext || tag` (or the .NET sample's
    /// `nonce || tag || ciphertext`) into `dst`, which must be exactly
    /// `data.len() - NONCE_LEN - TAG_LEN` bytes long (what the caller sized from the header);
    /// its prior contents are overwritten, and on failure it is left zeroed.
    pub fn open_to(&self, data: &[u8], dst: &mut [u8]) -> Result<()> {
        if data.len() < NONCE_LEN + TAG_LEN {
            return Err(Error::new(
                ErrorKind::DecryptFailed,
                format!(
                    "encrypted data is {} bytes, shorter than nonce and tag ({} bytes)",
                    data.len(),
                    NONCE_LEN + TAG_LEN
                ),
            ));
        }
        let (nonce, rest) = data.split_at(NONCE_LEN);
        let nonce = Nonce::try_from(nonce).expect("split at NONCE_LEN");
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
        let (dotnet_tag, dotnet_ciphertext) = rest.split_at(TAG_LEN);
        if dst.len() != ciphertext.len() {
            return Err(Error::new(
                ErrorKind::Internal,
                format!(
                    "decrypt: {} bytes of room for {} bytes",
                    dst.len(),
                    ciphertext.len()
                ),
            ));
        }
        for (ciphertext, tag) in [(ciphertext, tag), (dotnet_ciphertext, dotnet_tag)] {
            dst.copy_from_slice(ciphertext);
            let tag = Tag::try_from(tag).expect("split at TAG_LEN");
            if self
                .cipher
                .decrypt_inout_detached(&nonce, &[], dst.into(), &tag)
                .is_ok()
            {
                return Ok(());
            }
        }
        // Leave no plaintext of a failed attempt behind for the caller to misuse.
        dst.fill(0);
        Err(Error::new(
            ErrorKind::DecryptFailed,
            format!(
                "authentication failed with key {} (in either tag position): wrong key or tampered payload",
                shown_id(&self.id)
            ),
        ))
    }
}

/// Shows the id only: key material must never reach logs.
impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("id", &format_args!("{}", shown_id(&self.id)))
            .finish_non_exhaustive()
    }
}

/// A key id for messages and Debug output: quoted, with bytes outside printable ASCII escaped
/// so that an id that is not UTF-8 still shows exactly, and cut after 64 bytes, as an id read
/// from a hostile payload can be as long as the payload.
pub fn shown_id(id: &[u8]) -> String {
    let more = if id.len() > 64 { "..." } else { "" };
    format!("\"{}\"{more}", id[..id.len().min(64)].escape_ascii())
}

/// Fresh nonces from the operating system's CSPRNG, one syscall for a whole batch.
pub fn random_nonces(count: usize) -> Result<Vec<[u8; NONCE_LEN]>> {
    let mut bytes = vec![0u8; count * NONCE_LEN];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            format!("the OS random generator failed: {e}"),
        )
    })?;
    Ok(bytes
        .chunks_exact(NONCE_LEN)
        .map(|c| c.try_into().expect("chunks_exact"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decrypts into a fresh buffer of the size the header tells, as the chain does.
    fn open(key: &Key, data: &[u8]) -> (Result<()>, Vec<u8>) {
        let mut dst = vec![9u8; data.len().saturating_sub(NONCE_LEN + TAG_LEN)];
        (key.open_to(data, &mut dst), dst)
    }

    #[test]
    fn seal_open_and_tamper() {
        let key = Key::new(b"k", &[7u8; 32]).unwrap();
        let mut sealed = Vec::new();
        key.seal(&[1u8; 12], b"secret payload", &mut sealed);
        assert_eq!(sealed.len(), 12 + 14 + 16);
        let (result, plain) = open(&key, &sealed);
        result.unwrap();
        assert_eq!(plain, b"secret payload");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x40;
            let (result, out) = open(&key, &bad);
            assert_eq!(result.unwrap_err().kind(), ErrorKind::DecryptFailed);
            assert!(
                out.iter().all(|&b| b == 0),
                "no plaintext left behind after a failure"
            );
        }
        let mut short = [0u8; 3];
        assert_eq!(
            key.open_to(&sealed, &mut short).unwrap_err().kind(),
            ErrorKind::Internal
        );
    }

    #[test]
    fn reads_the_dotnet_sample_tag_first_layout() {
        let key = Key::new(b"test-key-id", &[3u8; 32]).unwrap();
        let mut sealed = Vec::new();
        key.seal(&[5u8; 12], b"from the .NET sample", &mut sealed);
        let (nonce, rest) = sealed.split_at(12);
        let (ciphertext, tag) = rest.split_at(rest.len() - 16);
        let tag_first = [nonce, tag, ciphertext].concat();
        let (result, plain) = open(&key, &tag_first);
        result.unwrap();
        assert_eq!(plain, b"from the .NET sample");
        let mut bad = tag_first.clone();
        bad[20] ^= 1;
        assert_eq!(open(&key, &bad).0.unwrap_err().kind(), ErrorKind::DecryptFailed);
    }

    #[test]
    fn bad_keys_and_debug() {
        // The empty id is an id like any other (the Go sample's codec server writes it).
        assert_eq!(Key::new(b"", &[0; 32]).unwrap().id(), b"");
        let err = Key::new(b"k", &[0xAB; 16]).unwrap_err();
        assert!(err.message().contains("16 bytes"));
        assert!(err.message().contains("key \"k\""), "{err}");
        let key = Key::new(b"prod\xff", &[0xAB; 32]).unwrap();
        assert!(format!("{key:?}").contains("\"prod\\xff\""), "{key:?}");
        let shown = format!("{key:?}");
        assert!(shown.contains("prod") && !shown.contains("171") && !shown.to_lowercase().contains("ab, "));
    }
}
