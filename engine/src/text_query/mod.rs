//! The full-text search language of `search(message, 'query')`.
//!
//! ```text
//! query   := or
//! or      := and ( OR and )*
//! and     := unary ( [AND] unary )*        adjacent clauses are ANDed
//! unary   := ( NOT | '-' ) unary | primary  NOT > AND > OR
//! primary := '(' or ')' | [field ':'] ( word | word* | "phrase" )
//! ```
//!
//! Keywords are case-insensitive (quote them to search for them: `"and"`).
//! Text fields ([`TEXT_FIELDS`]) are matched on tokens produced by [`analyze`]
//! (tantivy's `default` analyzer): a word that splits into several tokens
//! (`user-42`) is a phrase, a prefix must stay one token, and a run of letters
//! and digits of 40 bytes or more is rejected (it is never indexed). Raw fields
//! ([`RAW_FIELDS`]) are matched on the exact, case-sensitive column value;
//! `field:*` on a raw field means "has a value" (is not null). Inside quotes,
//! `\"` and `\\` are escapes. A field name is recognised before the first `:`
//! of a word, so text containing `:` must be quoted. `-` negates only when it
//! is directly followed by a term; `--x` is the word `x`. Null never matches a
//! positive clause.
//!
//! One parsed [`TextQuery`] has three evaluators that agree row for row:
//!
//! ```text
//!                      ┌─> to_tantivy(schema) ─> tantivy Query    (indexed segments)
//! parse(query, field) ─┼─> matches(get)       ─> bool per row     (memtable)
//!                      └─> evaluate(batch)    ─> BooleanArray     (Arrow batches)
//! ```
//!
//! ```
//! # use strata_engine::text_query::TextQuery;
//! let q = TextQuery::parse("timeout AND service:api -\"retry later\"", "message").unwrap();
//! let row = |f: &str| match f {
//!     "message" => Some("Upstream TIMEOUT after 3s"),
//!     "service" => Some("api"),
//!     _ => None,
//! };
//! assert!(q.matches(&row));
//! ```

mod eval;
mod parse;
mod tantivy;
#[cfg(test)]
mod tests;

use ::tantivy::tokenizer::{
    LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, TokenStream,
};

/// Tokenized fields, matched through [`analyze`].
pub const TEXT_FIELDS: &[&str] = &["message", "error_message", "stack_trace"];

/// Untokenized fields, matched on the exact (case-sensitive) column value.
pub const RAW_FIELDS: &[&str] = &[
    "log_id",
    "agent_id",
    "execution_id",
    "trace_id",
    "span_id",
    "parent_span_id",
    "service",
    "component",
    "log_level",
    "user_id",
    "error_type",
    "error_code",
];

/// Tokens of at least this many bytes are dropped by the `default` analyzer
/// (`RemoveLongFilter::limit(40)`), so they are never indexed.
pub const MAX_TEXT_TOKEN_BYTES: usize = 40;

/// A query string the search language rejects.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} (at byte {position} of {query:?})")]
pub struct QueryParseError {
    /// The whole query as given.
    pub query: String,
    /// Byte offset in `query` of the offending part.
    pub position: usize,
    /// What is wrong, for a human.
    pub message: String,
}

/// A parsed full-text query. Built by [`TextQuery::parse`].
#[derive(Debug, Clone, PartialEq)]
pub enum TextQuery {
    /// Token(s) of a text field: a single token is a term, several a phrase.
    Phrase { field: String, tokens: Vec<String> },
    /// A token of a text field starting with `prefix` (lowercased, one token).
    Prefix { field: String, prefix: String },
    /// A raw field whose whole value equals `value`.
    RawEq { field: String, value: String },
    /// A raw field whose value starts with `prefix` (case-sensitive).
    RawPrefix { field: String, prefix: String },
    /// Every clause matches (an empty list matches every row).
    And(Vec<TextQuery>),
    /// At least one clause matches (an empty list matches no row).
    Or(Vec<TextQuery>),
    /// The clause does not match.
    Not(Box<TextQuery>),
}

impl TextQuery {
    /// Every field the query reads, deduplicated, in order of first use.
    pub fn fields(&self) -> Vec<String> {
        self.field_refs().into_iter().map(str::to_owned).collect()
    }

    /// `(field, value)` pairs of raw-field equalities every matching row
    /// satisfies (the query itself or conjuncts of it), for pruning by
    /// bloom filter.
    pub fn required_equalities(&self) -> Vec<(&str, &str)> {
        match self {
            TextQuery::RawEq { field, value } => vec![(field.as_str(), value.as_str())],
            TextQuery::And(children) => children
                .iter()
                .flat_map(TextQuery::required_equalities)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Fields of the query's phrases of two or more tokens (those need
    /// token positions).
    pub(crate) fn phrase_fields(&self) -> Vec<&str> {
        match self {
            TextQuery::Phrase { field, tokens } if tokens.len() > 1 => vec![field.as_str()],
            TextQuery::And(children) | TextQuery::Or(children) => {
                children.iter().flat_map(TextQuery::phrase_fields).collect()
            }
            TextQuery::Not(inner) => inner.phrase_fields(),
            _ => Vec::new(),
        }
    }

    /// A query every row matching `self` also matches, made of clauses an
    /// index without positions answers: a phrase becomes the conjunction
    /// of its tokens. `None` when there is no such narrowing (a negation).
    pub(crate) fn without_positions(&self) -> Option<TextQuery> {
        match self {
            TextQuery::Phrase { field, tokens } if tokens.len() > 1 => Some(TextQuery::And(
                tokens
                    .iter()
                    .map(|t| TextQuery::Phrase {
                        field: field.clone(),
                        tokens: vec![t.clone()],
                    })
                    .collect(),
            )),
            TextQuery::And(children) => {
                let kept: Vec<TextQuery> = children
                    .iter()
                    .filter_map(TextQuery::without_positions)
                    .collect();
                (!kept.is_empty()).then_some(TextQuery::And(kept))
            }
            TextQuery::Or(children) => children
                .iter()
                .map(TextQuery::without_positions)
                .collect::<Option<Vec<_>>>()
                .map(TextQuery::Or),
            TextQuery::Not(_) => None,
            other => Some(other.clone()),
        }
    }

    pub(crate) fn field_refs(&self) -> Vec<&str> {
        fn walk<'a>(q: &'a TextQuery, out: &mut Vec<&'a str>) {
            match q {
                TextQuery::Phrase { field, .. }
                | TextQuery::Prefix { field, .. }
                | TextQuery::RawEq { field, .. }
                | TextQuery::RawPrefix { field, .. } => {
                    if !out.contains(&field.as_str()) {
                        out.push(field);
                    }
                }
                TextQuery::And(children) | TextQuery::Or(children) => {
                    children.iter().for_each(|c| walk(c, out));
                }
                TextQuery::Not(inner) => walk(inner, out),
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

/// Tokenize `text` exactly as tantivy's `default` analyzer does
/// (`SimpleTokenizer`, `RemoveLongFilter::limit(40)`, `LowerCaser`), returning
/// `(position, token)` pairs with tantivy's positions: a dropped long token
/// still takes up a position, so positions can have gaps.
pub fn analyze(text: &str) -> Vec<(usize, String)> {
    let mut buf = TokenBuf::default();
    buf.fill(&mut default_analyzer(), text);
    buf.iter().map(|(p, t)| (p, t.to_owned())).collect()
}

/// tantivy's `default` analyzer, built from the same parts as
/// `TokenizerManager::default()` registers (a test checks they agree).
pub(crate) fn default_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TEXT_TOKEN_BYTES))
        .filter(LowerCaser)
        .build()
}

/// The analyzed tokens of one value, in one reusable allocation.
#[derive(Debug, Default)]
struct TokenBuf {
    text: String,
    /// `(position, start, end)`; `text[start..end]` is the token.
    tokens: Vec<(usize, usize, usize)>,
}

impl TokenBuf {
    fn fill(&mut self, analyzer: &mut TextAnalyzer, value: &str) {
        self.text.clear();
        self.tokens.clear();
        let mut stream = analyzer.token_stream(value);
        while stream.advance() {
            let token = stream.token();
            let start = self.text.len();
            self.text.push_str(&token.text);
            self.tokens.push((token.position, start, self.text.len()));
        }
    }

    fn len(&self) -> usize {
        self.tokens.len()
    }

    fn get(&self, i: usize) -> (usize, &str) {
        let (position, start, end) = self.tokens[i];
        (position, &self.text[start..end])
    }

    fn iter(&self) -> impl Iterator<Item = (usize, &str)> {
        (0..self.len()).map(|i| self.get(i))
    }

    /// True if `phrase` occurs at consecutive positions. Positions strictly
    /// increase, so the token at position `p + i` (if any) is at index `j + i`.
    fn contains_phrase(&self, phrase: &[String]) -> bool {
        let Some(first) = phrase.first() else {
            return false;
        };
        (0..self.len()).any(|j| {
            let (p, t) = self.get(j);
            t == first
                && j + phrase.len() <= self.len()
                && phrase.iter().enumerate().skip(1).all(|(i, want)| {
                    let (q, t) = self.get(j + i);
                    q == p + i && t == want
                })
        })
    }

    fn contains_prefix(&self, prefix: &str) -> bool {
        self.iter().any(|(_, t)| t.starts_with(prefix))
    }
}
