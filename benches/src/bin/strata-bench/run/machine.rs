//! The machine a run was measured on.

use std::process::Command;

/// Cores (`nproc`), memory, CPU model, kernel and build profile.
#[derive(Debug, Clone)]
pub struct Machine {
    pub cores: String,
    pub memory: String,
    pub cpu: String,
    pub kernel: String,
    pub build: &'static str,
}

impl Machine {
    pub fn describe() -> Self {
        let run = |program: &str, args: &[&str]| {
            Command::new(program)
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        };
        let cores = run("nproc", &[]).unwrap_or_else(|| {
            std::thread::available_parallelism().map_or("?".into(), |n| n.to_string())
        });
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                let line = m.lines().find(|l| l.starts_with("MemTotal:"))?.to_string();
                let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
                Some(format!("{:.1} GiB", kb / (1024.0 * 1024.0)))
            })
            .unwrap_or_else(|| "?".into());
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|c| {
                let line = c.lines().find(|l| l.starts_with("model name"))?;
                Some(line.split_once(':')?.1.trim().to_string())
            })
            .unwrap_or_else(|| "?".into());
        Machine {
            cores,
            memory,
            cpu,
            kernel: run("uname", &["-sr"]).unwrap_or_else(|| "?".into()),
            build: if cfg!(debug_assertions) {
                "debug (unoptimized: figures are not meaningful)"
            } else {
                "release"
            },
        }
    }
}
