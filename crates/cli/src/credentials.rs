//! Root credentials: from `TESSERA_ROOT_ACCESS_KEY` / `TESSERA_ROOT_SECRET_KEY`,
//! else from the data directory, else generated on first start and kept there
//! (mode 0600).

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tessera_gateway::RootCredentials;

pub const ENV_ACCESS_KEY: &str = "TESSERA_ROOT_ACCESS_KEY";
pub const ENV_SECRET_KEY: &str = "TESSERA_ROOT_SECRET_KEY";
const FILE: &str = "root-credentials.toml";

#[derive(Serialize, Deserialize)]
struct Stored {
    access_key_id: String,
    secret_key: String,
}

/// Where the root credentials came from, for the start-up banner.
#[derive(Debug, PartialEq, Eq)]
pub enum Origin {
    Environment,
    DataDir,
    Generated,
}

/// The credentials given in the environment, if both variables are set.
pub fn from_env() -> Result<Option<RootCredentials>> {
    match (std::env::var(ENV_ACCESS_KEY), std::env::var(ENV_SECRET_KEY)) {
        (Ok(a), Ok(s)) if !a.is_empty() && !s.is_empty() => Ok(Some(RootCredentials {
            access_key_id: a,
            secret_key: s,
        })),
        (Ok(_), Err(_)) | (Err(_), Ok(_)) => {
            bail!("set both {ENV_ACCESS_KEY} and {ENV_SECRET_KEY}, or neither")
        }
        _ => Ok(None),
    }
}

/// Loads or creates the root credentials of the server in `data_dir`.
pub fn load_or_create(data_dir: &Path) -> Result<(RootCredentials, Origin)> {
    if let Some(c) = from_env()? {
        return Ok((c, Origin::Environment));
    }
    let path = data_dir.join(FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let s: Stored =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        return Ok((
            RootCredentials {
                access_key_id: s.access_key_id,
                secret_key: s.secret_key,
            },
            Origin::DataDir,
        ));
    }
    let (access_key_id, secret_key) = tessera_gateway::admin::generate_key_pair();
    let text = toml::to_string(&Stored {
        access_key_id: access_key_id.clone(),
        secret_key: secret_key.clone(),
    })?;
    let tmp = data_dir.join(format!("{FILE}.tmp"));
    write_private(&tmp, text.as_bytes())?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok((
        RootCredentials {
            access_key_id,
            secret_key,
        },
        Origin::Generated,
    ))
}

fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(data)?;
    f.sync_all()?;
    Ok(())
}
