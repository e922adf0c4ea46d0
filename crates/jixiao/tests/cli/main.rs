//! The `jixiao` command end to end: the demo district, every kind of broken input the issue
//! lists, output formats and exit codes.

mod broken;
mod formats;
mod ops;

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/wolong")
}

/// A copy of the demo district in a temporary directory, so a test can break it.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn copy_demo() -> Workspace {
        let dir = tempfile::tempdir().expect("temp dir");
        for f in ["scheme.toml", "org.toml", "data.csv"] {
            std::fs::copy(demo().join(f), dir.path().join(f)).expect("copy demo");
        }
        std::fs::create_dir(dir.path().join("budget")).expect("budget dir");
        for f in ["scheme.toml", "data.csv"] {
            std::fs::copy(
                demo().join("budget").join(f),
                dir.path().join("budget").join(f),
            )
            .expect("copy budget");
        }
        Workspace { dir }
    }

    pub fn path(&self, f: &str) -> PathBuf {
        self.dir.path().join(f)
    }

    /// Replaces the first occurrence of `old` in `file`; the test fails if it is not there.
    pub fn replace(&self, file: &str, old: &str, new: &str) -> &Workspace {
        let p = self.path(file);
        let text = std::fs::read_to_string(&p).expect("read");
        assert!(text.contains(old), "{file} does not contain {old:?}");
        std::fs::write(&p, text.replacen(old, new, 1)).expect("write");
        self
    }

    pub fn append(&self, file: &str, extra: &str) -> &Workspace {
        let p = self.path(file);
        let mut text = std::fs::read_to_string(&p).expect("read");
        text.push_str(extra);
        std::fs::write(&p, text).expect("write");
        self
    }

    /// Runs `jixiao` in the workspace directory (so messages name files relative to it).
    pub fn run(&self, args: &[&str]) -> Output {
        run_in(self.dir.path(), args)
    }
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub bytes: Vec<u8>,
}

pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_jixiao"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run jixiao");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        bytes: out.stdout,
    }
}
