//! The results table: one row per figure and peer, with the ratio of
//! Strata to the peer worded so that it says which way is better.

use std::fmt::Write;

/// Which way a figure is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Latency, bytes.
    Lower,
    /// Throughput.
    Higher,
}

/// A figure measured on a peer, or why it was not.
pub type PeerValue = Result<Measured, String>;

/// A figure as shown and as compared.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub text: String,
    /// The values compared (one for most figures, p50 and p99 for latencies).
    pub values: Vec<f64>,
}

impl Measured {
    pub fn new(text: impl Into<String>, values: &[f64]) -> Self {
        Measured {
            text: text.into(),
            values: values.to_vec(),
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub figure: String,
    pub strata: String,
    pub peer: String,
    pub peer_value: String,
    pub versus: String,
}

/// The table, built row by row.
#[derive(Debug, Default)]
pub struct Table {
    pub rows: Vec<Row>,
}

impl Table {
    /// A figure without a peer.
    pub fn alone(&mut self, figure: impl Into<String>, strata: impl Into<String>) {
        self.rows.push(Row {
            figure: figure.into(),
            strata: strata.into(),
            peer: "—".into(),
            peer_value: String::new(),
            versus: String::new(),
        });
    }

    /// A figure next to a peer's; `words` are (better, worse), e.g.
    /// ("faster", "slower"); `names` label the values when there are several.
    #[allow(clippy::too_many_arguments)]
    pub fn versus(
        &mut self,
        figure: &str,
        strata: &Measured,
        peer: &str,
        value: &PeerValue,
        better: Better,
        words: (&str, &str),
        names: &[&str],
    ) {
        let (peer_value, versus) = match value {
            Ok(p) => {
                let ratios: Vec<String> = strata
                    .values
                    .iter()
                    .zip(&p.values)
                    .map(|(&s, &v)| ratio(s, v, better, words))
                    .collect();
                let versus = if names.len() == ratios.len() && ratios.len() > 1 {
                    names
                        .iter()
                        .zip(&ratios)
                        .map(|(n, r)| format!("{n}: {r}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                } else {
                    ratios.join("; ")
                };
                (p.text.clone(), versus)
            }
            Err(why) => (format!("skipped: {why}"), String::new()),
        };
        self.rows.push(Row {
            figure: figure.into(),
            strata: strata.text.clone(),
            peer: peer.into(),
            peer_value,
            versus,
        });
    }

    /// A row whose last column is free text (match counts, warnings).
    pub fn note(&mut self, figure: &str, strata: &str, peer: &str, peer_value: &str, note: &str) {
        self.rows.push(Row {
            figure: figure.into(),
            strata: strata.into(),
            peer: peer.into(),
            peer_value: peer_value.into(),
            versus: note.into(),
        });
    }

    pub fn to_markdown(&self) -> String {
        let mut out = String::from(
            "| figure | Strata | peer | peer's figure | Strata vs peer |\n|---|---|---|---|---|\n",
        );
        for r in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                cell(&r.figure),
                cell(&r.strata),
                cell(&r.peer),
                cell(&r.peer_value),
                cell(&r.versus)
            );
        }
        out
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// "Strata 3.2× faster" or "Strata 1.5× slower".
pub fn ratio(strata: f64, peer: f64, better: Better, (good, bad): (&str, &str)) -> String {
    if !(strata > 0.0 && peer > 0.0 && strata.is_finite() && peer.is_finite()) {
        return "n/a".into();
    }
    let strata_better = match better {
        Better::Lower => strata <= peer,
        Better::Higher => strata >= peer,
    };
    let r = if strata >= peer {
        strata / peer
    } else {
        peer / strata
    };
    let word = if strata_better { good } else { bad };
    if r < 1.005 {
        return "same".into();
    }
    format!("Strata {}× {word}", fmt_sig(r))
}

/// Two significant digits below 100, whole numbers above, grouped.
pub fn fmt_sig(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x.abs() >= 100.0 {
        fmt_int(x.round() as u64)
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// 1234567 → "1,234,567".
pub fn fmt_int(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Decimal megabytes: "12.3 MB".
pub fn fmt_mb(bytes: u64) -> String {
    format!("{} MB", fmt_sig(bytes as f64 / 1e6))
}

/// "p50 / p99 ms".
pub fn fmt_p50_p99(p50: f64, p99: f64) -> String {
    format!("{} / {} ms", fmt_sig(p50), fmt_sig(p99))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_say_which_way_is_better() {
        let speed = ("faster", "slower");
        let cases = [
            (1.0, 10.0, Better::Lower, "Strata 10.0× faster"),
            (10.0, 1.0, Better::Lower, "Strata 10.0× slower"),
            (300.0, 100.0, Better::Higher, "Strata 3.00× faster"),
            (100.0, 300.0, Better::Higher, "Strata 3.00× slower"),
            (5.0, 5.0, Better::Lower, "same"),
            (0.0, 5.0, Better::Lower, "n/a"),
        ];
        for (s, p, b, want) in cases {
            assert_eq!(ratio(s, p, b, speed), want, "{s} vs {p}");
        }
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(fmt_int(0), "0");
        assert_eq!(fmt_int(999), "999");
        assert_eq!(fmt_int(1000), "1,000");
        assert_eq!(fmt_int(1_234_567), "1,234,567");
        assert_eq!(fmt_sig(123_456.7), "123,457");
        assert_eq!(fmt_sig(0.01234), "0.012");
    }

    #[test]
    fn skipped_peers_say_why_and_pipes_are_escaped() {
        let mut t = Table::default();
        t.versus(
            "a | b",
            &Measured::new("1 ms", &[1.0]),
            "ripgrep",
            &Err("--skip-peers".into()),
            Better::Lower,
            ("faster", "slower"),
            &[],
        );
        assert!(
            t.to_markdown()
                .ends_with("| a \\| b | 1 ms | ripgrep | skipped: --skip-peers |  |\n")
        );
    }
}
