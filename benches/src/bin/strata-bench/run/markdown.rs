//! Writing the results into a Markdown file between two markers, replacing
//! what a previous run wrote there and nothing else.

use std::path::Path;

pub const BEGIN: &str = "<!-- strata-bench run: begin -->";
pub const END: &str = "<!-- strata-bench run: end -->";

/// `doc` with the text between the markers (markers kept) replaced by
/// `section`, or with the marked section appended when there are no
/// markers. A lone or misordered marker is an error: the file was edited
/// by hand and is left alone.
pub fn replace_section(doc: &str, section: &str) -> Result<String, String> {
    let marked = format!("{BEGIN}\n{}\n{END}", section.trim_end());
    match (doc.find(BEGIN), doc.find(END)) {
        (Some(b), Some(e)) if b < e => {
            Ok(format!("{}{marked}{}", &doc[..b], &doc[e + END.len()..]))
        }
        (None, None) => {
            let mut out = doc.trim_end().to_string();
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&marked);
            out.push('\n');
            Ok(out)
        }
        _ => Err(format!(
            "expected '{BEGIN}' before '{END}', once each (or neither)"
        )),
    }
}

/// Replaces the marked section of the file at `path` (created if missing).
pub fn write_section(path: &Path, section: &str) -> Result<(), String> {
    let doc = match std::fs::read_to_string(path) {
        Ok(doc) => doc,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let new = replace_section(&doc, section).map_err(|e| format!("{}: {e}", path.display()))?;
    std::fs::write(path, new).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_the_marked_section() {
        let doc = format!("# Title\n\nbefore\n\n{BEGIN}\nold table\n{END}\n\nafter\n");
        let out = replace_section(&doc, "new table\n").unwrap();
        assert_eq!(
            out,
            format!("# Title\n\nbefore\n\n{BEGIN}\nnew table\n{END}\n\nafter\n")
        );
        // running again replaces again, leaving the rest as it is
        let again = replace_section(&out, "newer").unwrap();
        assert_eq!(
            again,
            format!("# Title\n\nbefore\n\n{BEGIN}\nnewer\n{END}\n\nafter\n")
        );
    }

    #[test]
    fn appends_when_unmarked() {
        let cases = [
            ("", format!("{BEGIN}\nS\n{END}\n")),
            ("# T\n", format!("# T\n\n{BEGIN}\nS\n{END}\n")),
            (
                "# T\n\ntext\n\n\n",
                format!("# T\n\ntext\n\n{BEGIN}\nS\n{END}\n"),
            ),
        ];
        for (doc, want) in cases {
            assert_eq!(replace_section(doc, "S").unwrap(), want, "{doc:?}");
        }
    }

    #[test]
    fn refuses_broken_markers() {
        for doc in [
            format!("a\n{BEGIN}\nb\n"),
            format!("a\n{END}\nb\n"),
            format!("{END}\nx\n{BEGIN}\n"),
        ] {
            assert!(replace_section(&doc, "S").is_err(), "{doc:?}");
        }
    }

    #[test]
    fn writes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("B.md");
        std::fs::write(&path, "# Bench\n\nkept\n").unwrap();
        write_section(&path, "first").unwrap();
        write_section(&path, "second").unwrap();
        let doc = std::fs::read_to_string(&path).unwrap();
        assert_eq!(doc, format!("# Bench\n\nkept\n\n{BEGIN}\nsecond\n{END}\n"));
    }
}
