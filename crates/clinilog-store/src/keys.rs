//! Encryption at rest: which files are encrypted, their keys, and where
//! the keys are kept.
//!
//! An encrypted Clinilog file is a SQLCipher database opened with a raw
//! 256-bit key (no key derivation on open). Its 16-byte salt, which
//! SQLCipher writes in clear at the start of the file, is `MAGIC` followed
//! by the key's 8-byte id: a file says that it is an encrypted Clinilog
//! file, and which key opens it, before any key is tried. Backups are
//! encrypted with the same key and salt, so they carry the same id.
//!
//! Keys are kept in the operating system's keyring (Secret Service,
//! Windows Credential Manager, macOS Keychain, through `keyring-core`),
//! under the service `Clinilog file key` and the id in hex, or in a key
//! file the user names (`--key-file`, mode 0600). Keys read once are kept
//! in memory for the process, never written anywhere else.

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

use crate::StoreError;

/// The first 8 bytes of an encrypted Clinilog file (the start of
/// SQLCipher's salt).
pub const MAGIC: &[u8; 8] = b"CliniLg\x01";
/// The keyring service under which file keys are kept.
pub const KEYRING_SERVICE: &str = "Clinilog file key";

/// A key's id: 8 random bytes, written in clear at the start of every file
/// the key encrypts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 8]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl std::str::FromStr for KeyId {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let bytes = unhex(s.trim()).ok_or(())?;
        Ok(KeyId(bytes.try_into().map_err(|_| ())?))
    }
}

/// A file's key: its id and 32 secret bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct FileKey {
    pub id: KeyId,
    secret: [u8; 32],
}

impl fmt::Debug for FileKey {
    /// Never the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileKey({})", self.id)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// Crockford's base32 alphabet: no I, L, O or U, so that a key copied by
/// hand is not misread.
const BASE32: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Why a recovery key was not taken.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecoveryError {
    #[error("a recovery key has 55 letters and digits (11 groups of 5); {0} were given: copy it again from the paper")]
    Length(usize),
    #[error("\"{0}\" is not in a recovery key (it has the digits and the letters A to Z but I, L, O and U)")]
    Character(char),
    #[error("the recovery key does not check out: a character is mistyped (compare it with the paper group by group)")]
    Checksum,
}

impl FileKey {
    /// A new random key with a new random id.
    pub fn generate() -> Result<Self, StoreError> {
        let rng = SystemRandom::new();
        let mut id = [0u8; 8];
        let mut secret = [0u8; 32];
        rng.fill(&mut id)
            .and_then(|()| rng.fill(&mut secret))
            .map_err(|_| StoreError::Key("the system's random generator failed: no key was made".into()))?;
        Ok(Self { id: KeyId(id), secret })
    }

    /// SQLCipher's raw key with its salt, as `PRAGMA key` takes it.
    pub(crate) fn pragma(&self) -> String {
        format!("x'{}{}{}'", hex(&self.secret), hex(MAGIC), hex(&self.id.0))
    }

    fn check_bytes(secret: &[u8; 32]) -> [u8; 2] {
        let digest = Sha256::new()
            .chain_update(b"clinilog recovery key")
            .chain_update(secret)
            .finalize();
        [digest[0], digest[1]]
    }

    /// The recovery key: the secret and two check bytes in Crockford's
    /// base32, 11 groups of 5, to be written on paper. With the file (which
    /// carries the id) it re-creates the key.
    pub fn recovery_key(&self) -> String {
        let mut bytes = self.secret.to_vec();
        bytes.extend_from_slice(&Self::check_bytes(&self.secret));
        let mut chars = String::new();
        let (mut acc, mut bits) = (0u32, 0u32);
        for b in bytes {
            acc = (acc << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                chars.push(char::from(BASE32[((acc >> bits) & 31) as usize]));
            }
            acc &= (1 << bits) - 1;
        }
        if bits > 0 {
            chars.push(char::from(BASE32[((acc << (5 - bits)) & 31) as usize]));
        }
        let groups: Vec<&str> = (0..chars.len())
            .step_by(5)
            .map(|i| &chars[i..(i + 5).min(chars.len())])
            .collect();
        groups.join("-")
    }

    /// The key of the file whose id is `id`, from its recovery key as typed:
    /// spaces, dashes and case do not matter, and O, I and L read as 0, 1, 1.
    pub fn from_recovery(id: KeyId, typed: &str) -> Result<Self, RecoveryError> {
        let mut values = Vec::new();
        for c in typed.chars().filter(|c| !c.is_whitespace() && *c != '-') {
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            let v = BASE32
                .iter()
                .position(|b| char::from(*b) == c)
                .ok_or(RecoveryError::Character(c))?;
            values.push(v as u32);
        }
        if values.len() != 55 {
            return Err(RecoveryError::Length(values.len()));
        }
        let mut bytes = Vec::with_capacity(35);
        let (mut acc, mut bits) = (0u32, 0u32);
        for v in values {
            acc = (acc << 5) | v;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                bytes.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        // 55 characters are 275 bits: 34 bytes and 3 bits that must be 0.
        if bytes.len() != 34 || acc != 0 {
            return Err(RecoveryError::Checksum);
        }
        let mut secret = [0u8; 32];
        secret.copy_from_slice(&bytes[..32]);
        if Self::check_bytes(&secret) != bytes[32..34] {
            return Err(RecoveryError::Checksum);
        }
        Ok(Self { id, secret })
    }

    /// The text of a key file.
    fn key_file_text(&self) -> String {
        format!(
            "# Clinilog file key: whoever has this file can read the clinic file it opens. Keep it secret.\n\
             id={}\nkey={}\n",
            self.id,
            hex(&self.secret)
        )
    }

    fn parse_key_file(text: &str) -> Option<Self> {
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.trim().strip_prefix(name)?.trim_start().strip_prefix('='))
                .map(str::trim)
        };
        let id = field("id")?.parse().ok()?;
        let secret = unhex(field("key")?)?.try_into().ok()?;
        Some(Self { id, secret })
    }
}

/// Whether a file is encrypted, from its first 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encryption {
    /// Plain SQLite, empty, or missing.
    Plain,
    /// Encrypted with the key of this id.
    Encrypted(KeyId),
}

/// Reads the first bytes of `path`: an encrypted Clinilog file starts with
/// `MAGIC` and its key's id. A missing or short file is `Plain`.
pub fn encryption_of(path: &Path) -> Encryption {
    let mut head = [0u8; 16];
    let read = fs::File::open(path).and_then(|f| f.take(16).read_exact(&mut head));
    match read {
        Ok(()) if head.starts_with(MAGIC) => {
            let mut id = [0u8; 8];
            id.copy_from_slice(&head[8..]);
            Encryption::Encrypted(KeyId(id))
        }
        _ => Encryption::Plain,
    }
}

/// Where this process finds keys.
#[derive(Clone, Debug)]
pub enum Keeper {
    /// The operating system's keyring (the default).
    Keyring,
    /// A key file the user named (`--key-file`).
    KeyFile(PathBuf),
}

struct Keys {
    keeper: Keeper,
    /// Keys already read (or made) in this process, by id.
    known: HashMap<KeyId, FileKey>,
    /// A keyring store set by the program (a test's mock), else the
    /// system's, made on first use.
    store: Option<Arc<keyring_core::CredentialStore>>,
}

static KEYS: RwLock<Option<Keys>> = RwLock::new(None);
/// Serialises first use of the system keyring.
static KEYRING_INIT: Mutex<()> = Mutex::new(());

fn with_keys<T>(f: impl FnOnce(&mut Keys) -> T) -> T {
    let mut guard = KEYS.write().unwrap_or_else(|e| e.into_inner());
    let keys = guard.get_or_insert_with(|| Keys {
        keeper: Keeper::Keyring,
        known: HashMap::new(),
        store: None,
    });
    f(keys)
}

/// Where keys are looked up from now on (the command line's `--key-file`,
/// or the keyring). Keys already read stay known.
pub fn set_keeper(keeper: Keeper) {
    with_keys(|k| k.keeper = keeper);
}

/// Where keys are looked up.
pub fn keeper() -> Keeper {
    with_keys(|k| k.keeper.clone())
}

/// Uses this keyring store instead of the system's (tests: keyring-core's
/// mock store, which keeps nothing on disk).
pub fn set_keyring_store(store: Arc<keyring_core::CredentialStore>) {
    with_keys(|k| k.store = Some(store));
}

/// Forgets every key read in this process (a test that plays "another
/// computer").
pub fn forget_known_keys() {
    with_keys(|k| k.known.clear());
}

fn system_keyring() -> Result<Arc<keyring_core::CredentialStore>, String> {
    #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
    {
        zbus_secret_service_keyring_store::Store::new()
            .map(|s| s as Arc<keyring_core::CredentialStore>)
            .map_err(|e| format!("the Secret Service keyring is not available ({e})"))
    }
    #[cfg(target_os = "windows")]
    {
        windows_native_keyring_store::Store::new()
            .map(|s| s as Arc<keyring_core::CredentialStore>)
            .map_err(|e| format!("the Windows Credential Manager is not available ({e})"))
    }
    #[cfg(target_os = "macos")]
    {
        apple_native_keyring_store::keychain::Store::new()
            .map(|s| s as Arc<keyring_core::CredentialStore>)
            .map_err(|e| format!("the macOS Keychain is not available ({e})"))
    }
    #[cfg(not(any(
        target_os = "linux",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "windows",
        target_os = "macos"
    )))]
    {
        Err("this system has no keyring Clinilog can use".to_owned())
    }
}

fn keyring_entry(id: KeyId) -> Result<keyring_core::Entry, String> {
    let store = match with_keys(|k| k.store.clone()) {
        Some(store) => store,
        None => {
            let _once = KEYRING_INIT.lock().unwrap_or_else(|e| e.into_inner());
            match with_keys(|k| k.store.clone()) {
                Some(store) => store,
                None => {
                    let store = system_keyring()?;
                    with_keys(|k| k.store = Some(store.clone()));
                    store
                }
            }
        }
    };
    keyring_core::Entry::new_in_store(&store, KEYRING_SERVICE, &id.to_string())
        .map_err(|e| format!("the keyring refused the entry ({e})"))
}

/// Why a key file cannot be used, or `None` when it can: it must be a file
/// that only its owner may read or write.
fn key_file_mode_problem(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            return Some(format!(
                "the key file {} may be read by others (mode {:o}): make it private with chmod 600 {} and try again",
                path.display(),
                mode & 0o777,
                path.display()
            ));
        }
    }
    let _ = path;
    None
}

fn read_key_file(path: &Path) -> Result<FileKey, StoreError> {
    if let Some(problem) = key_file_mode_problem(path) {
        return Err(StoreError::Key(problem));
    }
    let text = fs::read_to_string(path)
        .map_err(|e| StoreError::Key(format!("cannot read the key file {}: {e}", path.display())))?;
    FileKey::parse_key_file(&text).ok_or_else(|| {
        StoreError::Key(format!(
            "{} is not a Clinilog key file (it needs the lines id=... and key=... that clinilog encrypt wrote)",
            path.display()
        ))
    })
}

/// The key of the file at `path`, or `None` for a plain file; a key not
/// found is `StoreError::Locked`, in one sentence that says how to unlock.
pub fn key_for(path: &Path) -> Result<Option<FileKey>, StoreError> {
    match encryption_of(path) {
        Encryption::Plain => Ok(None),
        Encryption::Encrypted(id) => find_key(path, id).map(Some),
    }
}

fn find_key(path: &Path, id: KeyId) -> Result<FileKey, StoreError> {
    if let Some(key) = with_keys(|k| k.known.get(&id).cloned()) {
        return Ok(key);
    }
    let locked = |why: String| StoreError::Locked {
        path: path.to_owned(),
        id,
        why,
    };
    let key = match keeper() {
        Keeper::KeyFile(file) => {
            let key = read_key_file(&file)?;
            if key.id != id {
                return Err(locked(format!(
                    "the key file {} holds the key of another file (id {})",
                    file.display(),
                    key.id
                )));
            }
            key
        }
        Keeper::Keyring => {
            let entry = keyring_entry(id).map_err(locked)?;
            let text = match entry.get_password() {
                Ok(text) => text,
                Err(keyring_core::Error::NoEntry) => {
                    return Err(locked("its key is not in this computer's keyring".to_owned()));
                }
                Err(e) => return Err(locked(format!("the keyring did not give its key ({e})"))),
            };
            let secret = unhex(text.trim())
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| locked("the keyring's entry for it is not a Clinilog key".to_owned()))?;
            FileKey { id, secret }
        }
    };
    with_keys(|k| k.known.insert(id, key.clone()));
    Ok(key)
}

/// Keeps `key` where this process keeps keys: the keyring, or the key
/// file, which must not exist yet or hold this very key (it is written
/// with mode 0600). Returns where it went, in words.
pub fn keep(key: &FileKey) -> Result<String, StoreError> {
    with_keys(|k| k.known.insert(key.id, key.clone()));
    match keeper() {
        Keeper::KeyFile(file) => {
            if file.exists() {
                let held = read_key_file(&file)?;
                if held != *key {
                    return Err(StoreError::Key(format!(
                        "the key file {} already holds another key (id {}): name a new file",
                        file.display(),
                        held.id
                    )));
                }
                return Ok(format!("the key file {}", file.display()));
            }
            write_private(&file, key.key_file_text().as_bytes())
                .map_err(|e| StoreError::Key(format!("cannot write the key file {}: {e}", file.display())))?;
            Ok(format!("the key file {}", file.display()))
        }
        Keeper::Keyring => {
            let entry = keyring_entry(key.id).map_err(|why| {
                StoreError::Key(format!(
                    "cannot keep the key: {why}; keep it in a file instead: start Clinilog with --key-file PATH"
                ))
            })?;
            entry.set_password(&hex(&key.secret)).map_err(|e| {
                StoreError::Key(format!(
                    "the keyring did not keep the key ({e}); keep it in a file instead: start Clinilog with --key-file PATH"
                ))
            })?;
            Ok("this computer's keyring".to_owned())
        }
    }
}

/// Forgets a key that encrypts nothing (an encryption that failed before
/// any file changed): out of memory, and out of the keyring or the key
/// file that `keep` just wrote.
pub fn discard(key: &FileKey) {
    with_keys(|k| k.known.remove(&key.id));
    match keeper() {
        Keeper::KeyFile(file) => {
            if read_key_file(&file).is_ok_and(|held| held == *key) {
                let _ = fs::remove_file(&file);
            }
        }
        Keeper::Keyring => {
            if let Ok(entry) = keyring_entry(key.id) {
                let _ = entry.delete_credential();
            }
        }
    }
}

/// Writes a new file readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Re-creates the key of the encrypted file at `path` from its recovery
/// key, checks that it opens the file, and keeps it (keyring or key
/// file). Returns where it went.
pub fn unlock(path: &Path, recovery: &str) -> Result<String, StoreError> {
    let Encryption::Encrypted(id) = encryption_of(path) else {
        return Err(StoreError::Key(format!(
            "{} is not an encrypted Clinilog file: it needs no key",
            path.display()
        )));
    };
    let key = FileKey::from_recovery(id, recovery).map_err(|e| StoreError::Key(e.to_string()))?;
    let conn = crate::sqlite::open_connection(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY, Some(&key))?;
    if conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
        .is_err()
    {
        return Err(StoreError::Key(
            "this recovery key is well formed but is not the one of this file: is it the paper of another clinic file?"
                .to_owned(),
        ));
    }
    keep(&key)
}

/// Overwrites a file with zeros, flushes it to the disk, and removes it: a
/// plain copy the user asked to be rid of.
pub fn shred(path: &Path) -> Result<(), StoreError> {
    use std::io::{Seek, Write};
    let io = |source| StoreError::Io {
        source,
        path: path.to_owned(),
    };
    let len = fs::metadata(path).map_err(io)?.len();
    let mut file = fs::OpenOptions::new().write(true).open(path).map_err(io)?;
    file.seek(std::io::SeekFrom::Start(0)).map_err(io)?;
    let zeros = vec![0u8; 1 << 16];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..n]).map_err(io)?;
        left -= n as u64;
    }
    file.sync_all().map_err(io)?;
    drop(file);
    fs::remove_file(path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recovery_key_gives_the_key_back_and_catches_a_typo() {
        let key = FileKey::generate().unwrap();
        let paper = key.recovery_key();
        assert_eq!(paper.len(), 55 + 10, "{paper}");
        assert_eq!(paper.split('-').count(), 11);
        assert!(paper.split('-').all(|g| g.len() == 5));
        assert_eq!(FileKey::from_recovery(key.id, &paper).unwrap(), key);
        // As copied by hand: lower case, spaces, O for 0, l for 1.
        let by_hand = paper
            .to_lowercase()
            .replace('-', " ")
            .replace('0', "o")
            .replace('1', "l");
        assert_eq!(FileKey::from_recovery(key.id, &by_hand).unwrap(), key);
        // One character changed is caught by the check bytes.
        let mut chars: Vec<char> = paper.chars().collect();
        chars[7] = if chars[7] == 'A' { 'B' } else { 'A' };
        let typo: String = chars.into_iter().collect();
        assert_eq!(FileKey::from_recovery(key.id, &typo), Err(RecoveryError::Checksum));
        assert_eq!(
            FileKey::from_recovery(key.id, &paper[..40]),
            Err(RecoveryError::Length(34))
        );
        assert_eq!(
            FileKey::from_recovery(key.id, &paper.replace(&paper[..1], "U")),
            Err(RecoveryError::Character('U'))
        );
    }

    #[test]
    fn a_key_file_reads_back_and_is_refused_when_others_may_read_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clinic.key");
        let key = FileKey::generate().unwrap();
        write_private(&path, key.key_file_text().as_bytes()).unwrap();
        assert_eq!(read_key_file(&path).unwrap(), key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
            let err = read_key_file(&path).unwrap_err().to_string();
            assert!(err.contains("may be read by others (mode 644)"), "{err}");
            assert!(err.contains("chmod 600"), "{err}");
        }
    }

    #[test]
    fn the_pragma_carries_the_magic_and_the_id_as_salt() {
        let key = FileKey::generate().unwrap();
        let pragma = key.pragma();
        assert_eq!(pragma.len(), 2 + 64 + 32 + 1);
        assert!(pragma.ends_with(&format!("{}{}'", hex(MAGIC), key.id)));
    }
}
