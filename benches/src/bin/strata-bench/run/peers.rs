//! The peers Strata is compared with: installing them and finding them.
//!
//! `benches/peers/install.sh` sets up `target/peers-venv` (pinned duckdb and
//! drain3) and ripgrep; gzip and zstd come from PATH. A peer that cannot be
//! found is skipped, with the reason in its table cells.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `benches/peers/` of the source tree this binary was built from.
pub fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers")
}

/// The repository root (`target/peers-venv` and `target/peers-bin` live there).
fn repo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A peer: its version string, or why it is not there.
pub type Peer = Result<Found, String>;

/// A peer program found.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub version: String,
}

/// What is available for this run.
#[derive(Debug, Clone)]
pub struct Peers {
    pub ripgrep: Peer,
    /// The venv's Python with duckdb importable; `version` is duckdb's.
    pub duckdb: Peer,
    /// The venv's Python with drain3 importable; `version` is drain3's.
    pub drain3: Peer,
    pub gzip: Peer,
    pub zstd: Peer,
    /// Output of the install script when it failed.
    pub install_note: Option<String>,
}

impl Peers {
    /// Every peer skipped with the same reason.
    pub fn skipped(reason: &str) -> Self {
        let s = || Err(reason.to_string());
        Peers {
            ripgrep: s(),
            duckdb: s(),
            drain3: s(),
            gzip: s(),
            zstd: s(),
            install_note: None,
        }
    }

    /// Runs the install script, then looks every peer up.
    pub fn install_and_find() -> Self {
        let script = peers_dir().join("install.sh");
        eprintln!("installing peers: {}", script.display());
        let install_note = match Command::new("bash").arg(&script).output() {
            Ok(out) if out.status.success() => None,
            Ok(out) => Some(format!(
                "{} exited with {}: {}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )),
            Err(e) => Some(format!("could not run {}: {e}", script.display())),
        };
        if let Some(note) = &install_note {
            eprintln!("warning: {note}");
        }
        let python = repo_dir().join("target/peers-venv/bin/python");
        let venv_module = |module: &str| -> Peer {
            if !python.is_file() {
                return Err(format!(
                    "no {} (run benches/peers/install.sh)",
                    python.display()
                ));
            }
            let version = output(
                &python,
                &[
                    "-c",
                    &format!(
                        "import importlib.metadata as m, {module}; print(m.version('{module}'))"
                    ),
                ],
            )
            .map_err(|e| format!("{module} not importable in the peers venv: {e}"))?;
            Ok(Found {
                path: python.clone(),
                version,
            })
        };
        let rg = find_on_path("rg").or_else(|| {
            let p = repo_dir().join("target/peers-bin/bin/rg");
            p.is_file().then_some(p)
        });
        Peers {
            ripgrep: program(rg, "rg", "--version"),
            duckdb: venv_module("duckdb"),
            drain3: venv_module("drain3"),
            gzip: program(find_on_path("gzip"), "gzip", "--version"),
            zstd: program(find_on_path("zstd"), "zstd", "--version"),
            install_note,
        }
    }
}

fn program(path: Option<PathBuf>, name: &str, version_flag: &str) -> Peer {
    let path = path.ok_or_else(|| format!("{name} not found (run benches/peers/install.sh)"))?;
    let out = output(&path, &[version_flag])?;
    let first = out.lines().next().unwrap_or_default();
    Ok(Found {
        version: version_number(first).unwrap_or(first).to_string(),
        path,
    })
}

/// The first word of a `--version` line that looks like a version number.
fn version_number(line: &str) -> Option<&str> {
    line.split(|c: char| c.is_whitespace() || c == ',')
        .find(|w| {
            let digits = w.strip_prefix('v').unwrap_or(w);
            digits.starts_with(|c: char| c.is_ascii_digit()) && digits.contains('.')
        })
}

/// Standard output of a command that must succeed, trimmed.
pub fn output(program: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} exited with {}: {}",
            program.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The first `name` on `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_numbers_of_the_tools() {
        let cases = [
            ("ripgrep 13.0.0", Some("13.0.0")),
            ("gzip 1.12", Some("1.12")),
            (
                "*** Zstandard CLI (64-bit) v1.5.4, by Yann Collet ***",
                Some("v1.5.4"),
            ),
            ("no version here", None),
        ];
        for (line, want) in cases {
            assert_eq!(version_number(line), want, "{line}");
        }
    }
}
