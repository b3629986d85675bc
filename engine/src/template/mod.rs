//! Log-template mining: turns messages into templates with `<*>` variables.
//!
//! An online miner in the Drain family ([`TemplateMiner`]), improved for
//! accuracy on real logs:
//!
//! - masking before parsing ([`mask_variables`]): numbers, hex, ids, IPs,
//!   versions, times, paths, URLs, dates, sizes and durations with units, the
//!   variable part of `key=value` and `prefix_123` tokens;
//! - punctuation-aware tokens: constants around a variable stay constant
//!   (`chk_<*>`, `(uid=<*>)`), and pure variables match each other;
//! - a parse tree keyed on token count and leading tokens;
//! - generalisation from evidence rather than pairwise similarity: a
//!   position becomes `<*>` when a group of otherwise equal templates shows
//!   enough distinct values there (after Brain's frequency idea);
//! - variable-length variables: runs of variables and repeated variable
//!   tokens collapse, and bracketed quantities are optional.
//!
//! Ids are stable and state is serialisable: see [`TemplateMiner`].
//!
//! ```
//! use strata_engine::template::{MinerConfig, TemplateMiner, extract_variables};
//! let mut miner = TemplateMiner::new(MinerConfig::default());
//! let id = miner.add("Stored chunk chk_123 of size 4096 from /10.0.0.7");
//! assert_eq!(miner.add("Stored chunk chk_-42 of size 3 from /10.0.0.9"), id);
//! let text = miner.template(id).unwrap().text();
//! assert_eq!(text, "Stored chunk chk_<*> of size <*> from /<*>");
//! let values = extract_variables("Stored chunk chk_9 of size 1 from /10.0.0.1", text);
//! assert_eq!(values.unwrap(), ["9", "1", "10.0.0.1"]);
//! ```

mod config;
pub mod eval;
mod extract;
mod mask;
mod merge;
mod miner;
mod shapes;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use config::{
    DEFAULT_LEADING_TOKENS, DEFAULT_MAX_MERGE_CANDIDATES, DEFAULT_MIN_ENUM_VARIANTS,
    DEFAULT_MIN_VARIANTS, DEFAULT_SIMILARITY_THRESHOLD, MinerConfig,
};
pub use extract::extract_variables;
use extract::glob_match;
pub use mask::{WILDCARD, mask_variables};
pub use miner::TemplateMiner;

use mask::{Masked, TokenKind};

/// Identifies a template; stable for the life of the miner and across
/// serialisation.
pub type TemplateId = u64;

/// A mined template: text with `<*>` for variables, a message count and, once
/// it has been folded into a more general template, its parent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Template {
    id: TemplateId,
    text: String,
    count: u64,
    parent: Option<TemplateId>,
    positions: Vec<Position>,
    gaps: Vec<Gap>,
}

/// One skeleton position of a template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Position {
    /// Rendered text: the constant, or for a variable `<*>` (or the common
    /// masked shape of the values seen so far, e.g. `(<*>):`).
    pub text: String,
    pub kind: PositionKind,
}

/// What a template position accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum PositionKind {
    /// A plain word, matched literally.
    Word,
    /// A masked token with constant letters (`chk_<*>`), matched literally.
    Mixed,
    /// A masked token without letters: matches any such token.
    Slot,
    /// A learned variable: matches any token.
    Wild,
}

impl Position {
    /// Whether a message token (text, kind) is accepted here. A slot takes
    /// any slot; a masked position also takes a token that its text matches
    /// as a pattern (`(<*>)` takes `()` and `(host-<*>.example)`, `open(<*>)`
    /// takes `open(config)`), except that a bare `<*>` slot takes no plain word.
    #[inline]
    pub(crate) fn accepts(&self, text: &str, kind: TokenKind) -> bool {
        match self.kind {
            PositionKind::Wild => true,
            PositionKind::Word => self.text == text,
            PositionKind::Slot => {
                kind == TokenKind::Slot
                    || (kind == TokenKind::Mixed || self.text != WILDCARD)
                        && glob_match(&self.text, text)
            }
            PositionKind::Mixed => {
                self.text == text || kind != TokenKind::Slot && glob_match(&self.text, text)
            }
        }
    }

    /// Whether every token accepted by `other` is accepted here.
    pub(crate) fn covers(&self, other: &Position) -> bool {
        let kind = match other.kind {
            PositionKind::Wild => return self.kind == PositionKind::Wild,
            PositionKind::Word => TokenKind::Word,
            PositionKind::Mixed => TokenKind::Mixed,
            PositionKind::Slot => TokenKind::Slot,
        };
        self.accepts(&other.text, kind) && (other.kind != PositionKind::Slot || self.is_variable())
    }

    /// A variable position whose rendering follows the values seen.
    fn is_variable(&self) -> bool {
        matches!(self.kind, PositionKind::Slot | PositionKind::Wild)
    }

    /// Updates a variable position's rendering with one more value: the
    /// value itself while all values agree, else `<*>` inside the
    /// punctuation-ended prefix and suffix common to all (`(<*>)`, `host=<*>`).
    /// Returns whether the rendering changed.
    fn see(&mut self, value: &str) -> bool {
        if self.text == value {
            return false;
        }
        let (text, value) = (self.text.as_bytes(), value.as_bytes());
        let mut pre = text.iter().zip(value).take_while(|(a, b)| a == b).count();
        pre = text[..pre]
            .windows(3)
            .position(|w| w == b"<*>")
            .unwrap_or(pre);
        while pre > 0 && is_word_byte(text[pre - 1]) {
            pre -= 1;
        }
        let max_suf = text.len().min(value.len()) - pre;
        let mut suf = text
            .iter()
            .rev()
            .zip(value.iter().rev())
            .take_while(|(a, b)| a == b)
            .count()
            .min(max_suf);
        let tail = &text[text.len() - suf..];
        suf -= tail
            .windows(3)
            .rposition(|w| w == b"<*>")
            .map_or(0, |p| p + 3);
        while suf > 0 && is_word_byte(text[text.len() - suf]) {
            suf -= 1;
        }
        let rendered = format!(
            "{}{WILDCARD}{}",
            &self.text[..pre],
            &self.text[self.text.len() - suf..]
        );
        let changed = rendered != self.text;
        self.text = rendered;
        changed
    }
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c >= 0x80
}

/// An optional annotation between positions (`bytes (2.5 MB) received`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Gap {
    /// Number of positions before it.
    at: usize,
    /// Its masked text, or `<*>` once different texts were seen.
    text: String,
    /// Present in every message of the template so far.
    always: bool,
}

impl Template {
    /// The template's id (stable for its whole life).
    pub fn id(&self) -> TemplateId {
        self.id
    }

    /// The template text, variables shown as `<*>`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Messages assigned to this template, including those of templates that
    /// were later folded into it (a folded template keeps its own count).
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The more general template this one was folded into, if any.
    pub fn parent(&self) -> Option<TemplateId> {
        self.parent
    }

    pub(crate) fn positions(&self) -> &[Position] {
        &self.positions
    }

    pub(crate) fn new(id: TemplateId, m: &Masked) -> Self {
        let positions = m
            .tokens
            .iter()
            .map(|t| Position {
                text: m.text[t.range.clone()].to_owned(),
                kind: match t.kind {
                    TokenKind::Word => PositionKind::Word,
                    TokenKind::Mixed => PositionKind::Mixed,
                    TokenKind::Slot | TokenKind::Note => PositionKind::Slot,
                },
            })
            .collect();
        let mut t = Self {
            id,
            text: String::new(),
            count: 0,
            parent: None,
            positions,
            gaps: Vec::new(),
        };
        t.observe(m);
        t
    }

    /// Whether every constant position equals the message's token.
    #[inline]
    pub(crate) fn fits(&self, m: &Masked) -> bool {
        self.positions.len() == m.tokens.len()
            && self
                .positions
                .iter()
                .zip(&m.tokens)
                .all(|(p, t)| p.accepts(&m.text[t.range.clone()], t.kind))
    }

    /// Records one more message of this template (it fits).
    pub(crate) fn observe(&mut self, m: &Masked) {
        let first = self.count == 0;
        self.count += 1;
        let mut dirty = first;
        for (p, t) in self.positions.iter_mut().zip(&m.tokens) {
            if p.is_variable() {
                dirty |= p.see(&m.text[t.range.clone()]);
            }
        }
        if !self.gaps.is_empty() || !m.notes.is_empty() {
            dirty |= self.observe_gaps(m, first);
        }
        if dirty {
            self.render();
        }
    }

    fn observe_gaps(&mut self, m: &Masked, first: bool) -> bool {
        let mut dirty = false;
        for g in &mut self.gaps {
            if g.always && !m.notes.iter().any(|(at, _)| *at == g.at) {
                g.always = false;
                dirty = true;
            }
        }
        for i in 0..m.notes.len() {
            let (at, text) = m.note(i);
            dirty |= self.add_gap(at, text, first);
        }
        dirty
    }

    fn add_gap(&mut self, at: usize, text: &str, always: bool) -> bool {
        match self.gaps.iter_mut().find(|g| g.at == at) {
            Some(g) if g.text == text || g.text == WILDCARD => false,
            Some(g) => {
                g.text = WILDCARD.to_owned();
                true
            }
            None => {
                self.gaps.push(Gap {
                    at,
                    text: text.to_owned(),
                    always,
                });
                self.gaps.sort_by_key(|g| g.at);
                true
            }
        }
    }

    /// Turns the given positions into variables.
    pub(crate) fn generalise(&mut self, positions: impl IntoIterator<Item = usize>) {
        for p in positions {
            self.positions[p].kind = PositionKind::Wild;
        }
        self.render();
    }

    /// Folds `child` into `self`: `self` must already be at least as general.
    pub(crate) fn absorb(&mut self, child: &mut Template) {
        child.parent = Some(self.id);
        self.count += child.count;
        for (p, c) in self.positions.iter_mut().zip(&child.positions) {
            if p.is_variable() {
                p.see(&c.text);
            }
        }
        for g in &mut self.gaps {
            if !child.gaps.iter().any(|c| c.at == g.at && c.always) {
                g.always = false;
            }
        }
        for c in &child.gaps {
            let known = self.gaps.iter().any(|g| g.at == c.at);
            self.add_gap(c.at, &c.text, false);
            if known && !c.always {
                self.gaps
                    .iter_mut()
                    .filter(|g| g.at == c.at)
                    .for_each(|g| g.always = false);
            }
        }
        self.render();
    }

    /// Rebuilds `text`. An optional annotation that was sometimes absent is
    /// rendered glued to its neighbours (`bytes<*>received`): the variable
    /// then stands for the annotation with its spaces, or for one space.
    fn render(&mut self) {
        let mut out = String::new();
        let mut glue = false;
        let mut gaps = self.gaps.iter().peekable();
        for i in 0..=self.positions.len() {
            while let Some(g) = gaps.next_if(|g| g.at == i) {
                if g.always {
                    push_spaced(&mut out, &g.text, glue);
                    glue = false;
                } else {
                    out.push_str(WILDCARD);
                    glue = true;
                }
            }
            if let Some(p) = self.positions.get(i) {
                push_spaced(&mut out, &p.text, glue);
                glue = false;
            }
        }
        self.text = out;
    }
}

fn push_spaced(out: &mut String, s: &str, glue: bool) {
    if !out.is_empty() && !glue {
        out.push(' ');
    }
    out.push_str(s);
}
