//! Reading variable values back out of a message with its template.

use std::ops::Range;

use super::mask::WILDCARD;

/// The values of the template's `<*>` in `message`, in order; `None` when the
/// message does not have the template's shape. Runs of whitespace compare
/// equal, and values are trimmed. Each `<*>` takes the shortest value that
/// lets the rest match (like the regex `(.*?)`), and may be empty.
pub fn extract_variables(message: &str, template: &str) -> Option<Vec<String>> {
    let message = normalise_whitespace(message);
    let template = normalise_whitespace(template);
    let ranges = glob_captures(&message, &template)?;
    Some(
        ranges
            .into_iter()
            .map(|r| message[r].trim().to_owned())
            .collect(),
    )
}

/// Collapses whitespace runs to one space and trims.
pub(crate) fn normalise_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Matches `text` against `pattern` (literal text with `<*>` wildcards), the
/// whole text, each wildcard lazily; returns the wildcards' byte ranges.
pub(crate) fn glob_captures(text: &str, pattern: &str) -> Option<Vec<Range<usize>>> {
    let pieces: Vec<&str> = pattern.split(WILDCARD).collect();
    let (first, rest) = pieces.split_first()?;
    if rest.is_empty() {
        return (text == *first).then(Vec::new);
    }
    let (last, middle) = rest.split_last()?;
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return None;
    }
    let end = text.len() - last.len();
    let mut pos = first.len();
    let mut captures = Vec::with_capacity(rest.len());
    for piece in middle {
        // Leftmost placement of each literal leaves the most room for the
        // rest, so it finds a match whenever one exists.
        let found = text.get(pos..end)?.find(piece)?;
        captures.push(pos..pos + found);
        pos += found + piece.len();
    }
    captures.push(pos..end);
    Some(captures)
}

/// Whether `text` matches `pattern` (literal text with `<*>` wildcards, each
/// matching any string, possibly empty). No allocation.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let mut pieces = pattern.split(WILDCARD);
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let mut pieces = pieces.peekable();
    if pieces.peek().is_none() {
        return rest.is_empty();
    }
    while let Some(piece) = pieces.next() {
        if pieces.peek().is_none() {
            return rest.ends_with(piece);
        }
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extract_variables_table() {
        let cases: [(&str, &str, Option<&[&str]>); 6] = [
            (
                "Stored chunk chk_9 of size 1 from /10.0.0.1",
                "Stored chunk chk_<*> of size <*> from /<*>",
                Some(&["9", "1", "10.0.0.1"]),
            ),
            (
                "login from 1.2.3.4 () at Tue Mar 4",
                "login from <*> (<*>) at <*>",
                Some(&["1.2.3.4", "", "Tue Mar 4"]),
            ),
            ("bytes  sent", "bytes<*>sent", Some(&[""])),
            ("no variables here", "no variables here", Some(&[])),
            ("a b c", "a <*> d", None),
            ("short", "short <*> longer", None),
        ];
        for (message, template, expected) in cases {
            let got = extract_variables(message, template);
            assert_eq!(
                got.as_deref()
                    .map(|v| v.iter().map(String::as_str).collect::<Vec<_>>()),
                expected.map(<[_]>::to_vec),
                "{message:?} / {template:?}"
            );
        }
    }
}
