//! Tokenisation and variable masking: the miner's first step.
//!
//! A message is split on whitespace; inside each token, alphanumeric runs that
//! carry digits are replaced by `<*>` (numbers, hex, ids, IPs, versions, times),
//! keeping the constant letters around them (`chk_<*>`, `host=<*>`, `tty<*>`).
//! UUIDs, MAC and IPv6 addresses, paths, host names with a port and fully
//! qualified domain names become one `<*>`. A few token-sequence rules follow: a number
//! followed by a unit (`2.5 MB`, `<1 sec`) is one variable, a month or weekday
//! name next to a number is part of a date
//! (`Tue Mar 4 10:15:30 2025` → `<*>`), repeated identical variable tokens
//! collapse (`<*> <*> <*>` → `<*>`, `chk_<*> chk_<*>` → `chk_<*>`), and a
//! bracketed quantity such as `(2.5 MB)` becomes an optional annotation that
//! does not count as a token. Everything is hand-written byte scanning: no
//! regex runs on the hot path.

use std::ops::Range;

use super::shapes::{hex_groups_end, host_end, is_alnum, path_end};

/// The placeholder for a variable.
pub const WILDCARD: &str = "<*>";

/// What a masked token is made of; it decides how tokens compare.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum TokenKind {
    /// No variable: compared literally (`failed`, `()`).
    Word,
    /// A variable plus constant letters (`chk_<*>`, `host=<*>`): compared literally.
    Mixed,
    /// Only variables and punctuation (`<*>`, `(<*>):`): matches any other slot.
    Slot,
    /// A bracketed quantity (`(2.5 MB)`): optional, kept out of the skeleton.
    Note,
}

/// One masked token: a range of [`Masked::text`] and its kind.
#[derive(Clone, Debug)]
pub(crate) struct Tok {
    pub range: Range<usize>,
    pub kind: TokenKind,
}

/// A masked message, reusable across messages to avoid allocation.
#[derive(Default, Debug)]
pub(crate) struct Masked {
    /// Masked token texts, concatenated.
    pub text: String,
    /// Skeleton tokens (notes excluded).
    pub tokens: Vec<Tok>,
    /// Optional annotations: (gap index = number of skeleton tokens before it, range).
    pub notes: Vec<(usize, Range<usize>)>,
    raw: Vec<Tok>,
}

impl Masked {
    pub fn token(&self, i: usize) -> &str {
        &self.text[self.tokens[i].range.clone()]
    }

    pub fn note(&self, i: usize) -> (usize, &str) {
        let (gap, r) = &self.notes[i];
        (*gap, &self.text[r.clone()])
    }
}

/// Masks the variables of `message` and returns the masked tokens joined by
/// single spaces (optional annotations included where they stood).
pub fn mask_variables(message: &str) -> String {
    let mut m = Masked::default();
    mask_into(message, &mut m);
    let mut out = String::with_capacity(m.text.len() + m.tokens.len());
    let mut notes = m.notes.iter().peekable();
    for i in 0..=m.tokens.len() {
        while let Some((_, r)) = notes.next_if(|(g, _)| *g == i) {
            push_word(&mut out, &m.text[r.clone()]);
        }
        if i < m.tokens.len() {
            push_word(&mut out, m.token(i));
        }
    }
    out
}

fn push_word(out: &mut String, w: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(w);
}

/// Tokenises and masks `message` into `m` (cleared first).
pub(crate) fn mask_into(message: &str, m: &mut Masked) {
    m.text.clear();
    m.tokens.clear();
    m.notes.clear();
    m.raw.clear();
    for raw in message.split_ascii_whitespace() {
        let start = m.text.len();
        let kind = mask_token(raw, &mut m.text);
        m.raw.push(Tok {
            range: start..m.text.len(),
            kind,
        });
    }
    join_units(m);
    mark_dates(m);
    build_skeleton(m);
}

/// Masks one whitespace-free token into `out`; returns its kind.
fn mask_token(tok: &str, out: &mut String) -> TokenKind {
    let b = tok.as_bytes();
    let start = out.len();
    let mut has_var = false;
    let mut has_alpha = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let boundary =
            i == 0 || matches!(b[i - 1], b'(' | b'[' | b'\'' | b'"' | b'=' | b'/' | b',');
        if boundary && let Some(end) = hex_groups_end(b, i).or_else(|| host_end(b, i)) {
            push_var(out, start);
            has_var = true;
            i = end;
        } else if is_alnum(c) {
            let s = i;
            while i < b.len() && is_alnum(b[i]) {
                i += 1;
            }
            let (v, a) = mask_run(&tok[s..i], out, start);
            has_var |= v;
            has_alpha |= a;
        } else if let Some(end) = path_end(b, i) {
            if c == b':' {
                out.push_str("://");
            }
            push_var(out, start);
            has_var = true;
            i = end;
        } else if c < 0x80 {
            out.push(char::from(c));
            i += 1;
        } else {
            let ch = tok[i..].chars().next().map_or(1, char::len_utf8);
            has_alpha = true;
            out.push_str(&tok[i..i + ch]);
            i += ch;
        }
    }
    match (has_var, has_alpha) {
        (false, _) => TokenKind::Word,
        (true, true) => TokenKind::Mixed,
        (true, false) => TokenKind::Slot,
    }
}

/// Masks one alphanumeric run; returns (has variable, has constant letters).
fn mask_run(run: &str, out: &mut String, start: usize) -> (bool, bool) {
    let b = run.as_bytes();
    // An identifier continues after `<var>_`: `attempt_<*>_m_000001_0` -> `attempt_<*>`.
    if out.as_bytes()[start..].ends_with(b"<*>_") {
        out.pop();
        return (true, false);
    }
    if !b.iter().any(u8::is_ascii_digit) {
        out.push_str(run);
        return (false, true);
    }
    // Numbers, numbers with a unit suffix (16K, 0MB), hex (0x1f, ffee1200).
    let hexish = b.len() >= 6 && b.iter().all(u8::is_ascii_hexdigit);
    if b[0].is_ascii_digit() || hexish {
        absorb_sign(out, start);
        push_var(out, start);
        return (true, false);
    }
    // Letters with embedded numbers: keep the letters (tty2 -> tty<*>).
    let mut i = 0;
    while i < b.len() {
        let s = i;
        let digit = b[i].is_ascii_digit();
        while i < b.len() && b[i].is_ascii_digit() == digit {
            i += 1;
        }
        if digit {
            push_var(out, start);
        } else {
            out.push_str(&run[s..i]);
        }
    }
    (true, true)
}

/// A sign or comparison just before a number belongs to it (`-42`, `<1`),
/// unless it joins two words (`a-1`).
fn absorb_sign(out: &mut String, start: usize) {
    let b = &out.as_bytes()[start..];
    if let Some(&last) = b.last()
        && matches!(last, b'-' | b'+' | b'<' | b'>' | b'~')
        && (b.len() == 1 || !is_alnum(b[b.len() - 2]) && !b.ends_with(b"<*>-"))
    {
        out.pop();
    }
}

/// Appends `<*>`, merging with a variable just before it when only one `.`
/// or `:` separates them (IP addresses, times, versions: `<*>.<*>` -> `<*>`).
fn push_var(out: &mut String, start: usize) {
    let b = &out.as_bytes()[start..];
    if b.ends_with(b"<*>") {
        return;
    }
    if b.ends_with(b"<*>.") || b.ends_with(b"<*>:") {
        out.pop();
        return;
    }
    out.push_str(WILDCARD);
}

const UNITS: &[&str] = &[
    "B", "KB", "kB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB", "ms", "us", "µs", "ns",
    "s", "sec", "secs", "min", "mins",
];
const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: &[&str] = &["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// `2.5 MB)` -> one slot `<*>)`; a bracketed one (`(2.5 MB)`) becomes a note.
fn join_units(m: &mut Masked) {
    let mut w = 0;
    let mut r = 0;
    while r < m.raw.len() {
        let mut tok = m.raw[r].clone();
        r += 1;
        if tok.kind == TokenKind::Slot && r < m.raw.len() {
            let next = m.raw[r].range.clone();
            let unit = m.text[next.clone()].trim_end_matches([',', ';', '.', ')', ']']);
            if next.len() <= 6 && m.raw[r].kind == TokenKind::Word && UNITS.contains(&unit) {
                let tail = next.start + unit.len()..next.end;
                let opens = m.text[tok.range.clone()].starts_with(['(', '[']);
                let closes = m.text[tail.clone()].starts_with([')', ']']);
                tok.kind = if opens && closes {
                    TokenKind::Note
                } else {
                    TokenKind::Slot
                };
                let start = m.text.len();
                m.text.extend_from_within(tok.range.clone());
                m.text.extend_from_within(tail);
                tok.range = start..m.text.len();
                r += 1;
            }
        }
        m.raw[w] = tok;
        w += 1;
    }
    m.raw.truncate(w);
}

/// Month names before a number and weekday names before a date are variables.
fn mark_dates(m: &mut Masked) {
    for i in (0..m.raw.len()).rev() {
        if m.raw[i].kind != TokenKind::Word {
            continue;
        }
        let word = &m.text[m.raw[i].range.clone()];
        if word.len() != 3 || !word.as_bytes()[0].is_ascii_uppercase() {
            continue;
        }
        let next_is_var = m.raw.get(i + 1).is_some_and(|t| t.kind == TokenKind::Slot);
        if next_is_var && (MONTHS.contains(&word) || WEEKDAYS.contains(&word)) {
            m.raw[i].kind = TokenKind::Slot;
            m.raw[i].range = push_text(&mut m.text, WILDCARD);
        }
    }
}

fn push_text(text: &mut String, s: &str) -> Range<usize> {
    let start = text.len();
    text.push_str(s);
    start..text.len()
}

/// Moves notes aside and collapses runs of identical variable tokens
/// (`<*> <*> <*>`, `chk_<*> chk_<*>`): lists of values vary in length.
fn build_skeleton(m: &mut Masked) {
    let mut i = 0;
    while i < m.raw.len() {
        let tok = m.raw[i].clone();
        i += 1;
        match tok.kind {
            TokenKind::Note => m.notes.push((m.tokens.len(), tok.range)),
            TokenKind::Slot | TokenKind::Mixed => {
                let text = &m.text[tok.range.clone()];
                while i < m.raw.len() && m.text[m.raw[i].range.clone()] == *text {
                    i += 1;
                }
                m.tokens.push(tok);
            }
            TokenKind::Word => m.tokens.push(tok),
        }
    }
}
