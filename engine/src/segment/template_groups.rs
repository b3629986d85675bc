//! Template groups: the tokens of a text column that all rows of a
//! template share, indexed once per segment instead of once per row.
//!
//! At flush, the rows holding a value of a text column (`message`,
//! `error_message`, `stack_trace`) are grouped by `template_id`. A group's
//! *static tokens* are the tokens every value of the group holds: their
//! intersection, computed from the values themselves, so the index is
//! exact whatever the grouping (a wrong or missing template id only makes
//! a group's static set smaller). Each row's postings in the column's field
//! hold its other tokens (the variables), and the row is indexed under its
//! group number in the column's group field ([`group_field`]). A row holds
//! token `t` if and only if `t` is in its own postings or in its group's
//! static tokens, so `message:t` is answered as
//! `message:t OR _group_message IN (groups whose static tokens hold t)`,
//! and a prefix the same way; a row without a value is in no group. On
//! the generated agent corpus this leaves a third of the postings of
//! `message` and `stack_trace`, and no positions (a phrase takes the rows
//! holding all its tokens and is checked on the Parquet column).
//!
//! A column's static tokens are stored in the index bundle as the file
//! [`groups_file`]: zstd of one line per group, its tokens separated by
//! spaces (an analyzed token never holds whitespace).

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::ops::Bound;

use arrow::array::{Array, Int64Array, StringArray};
use tantivy::tokenizer::TokenStream;

use crate::text_query::{TextQuery, default_analyzer};

/// Prefix of the u64 index fields holding a row's group number, one per
/// grouped column.
pub const GROUP_FIELD_PREFIX: &str = "_group_";
/// Prefix of the static-token files inside an index bundle.
pub const GROUPS_FILE_PREFIX: &str = "strata.groups.";

/// The index field holding the group numbers of `column`'s values.
pub fn group_field(column: &str) -> String {
    format!("{GROUP_FIELD_PREFIX}{column}")
}

/// The bundle file holding the static tokens of `column`'s groups.
pub fn groups_file(column: &str) -> String {
    format!("{GROUPS_FILE_PREFIX}{column}")
}

/// The tokens of a text column of a batch, split into each group's static
/// tokens and each row's remaining tokens.
#[derive(Debug)]
pub struct Split {
    /// Static tokens of each group, sorted.
    statics: Vec<Vec<String>>,
    /// Group number of each row (none for a null value).
    pub group_of_row: Vec<Option<u32>>,
    residual: String,
    /// Each row's range in `residual`.
    residual_at: Vec<(u32, u32)>,
}

impl Split {
    /// Splits the tokens of `values` by the groups of `template_ids` (a
    /// null template id is a group of its own; a null value is in none).
    /// Groups are numbered in order of their first row and processed one
    /// at a time, so only one group's tokens are held at once.
    pub fn new(values: &StringArray, template_ids: &Int64Array) -> Split {
        let n = values.len();
        let mut group_index: HashMap<Option<i64>, u32> = HashMap::new();
        let group_of_row: Vec<Option<u32>> = (0..n)
            .map(|row| {
                values.is_valid(row).then(|| {
                    let key = template_ids.is_valid(row).then(|| template_ids.value(row));
                    let next = group_index.len() as u32;
                    *group_index.entry(key).or_insert(next)
                })
            })
            .collect();
        let mut order: Vec<u32> = (0..n as u32)
            .filter(|&row| group_of_row[row as usize].is_some())
            .collect();
        order.sort_by_key(|&row| group_of_row[row as usize]); // stable

        let mut analyzer = default_analyzer();
        let mut statics = Vec::with_capacity(group_index.len());
        let mut residual = String::new();
        let mut residual_at = vec![(0u32, 0u32); n];
        // One group's rows: their distinct tokens, sorted, as spans of `text`.
        let mut text = String::new();
        let mut spans: Vec<Tok> = Vec::new();
        let mut row_toks: Vec<Tok> = Vec::new();
        let hasher = foldhash::fast::FixedState::default();
        let mut row_ends: Vec<usize> = Vec::new();
        for rows in order.chunk_by(|a, b| group_of_row[*a as usize] == group_of_row[*b as usize]) {
            text.clear();
            spans.clear();
            row_ends.clear();
            for &row in rows {
                let mut stream = analyzer.token_stream(values.value(row as usize));
                while stream.advance() {
                    let t = &stream.token().text;
                    let at = text.len() as u32;
                    text.push_str(t);
                    row_toks.push(Tok {
                        hash: hasher.hash_one(t.as_str()),
                        at,
                        end: text.len() as u32,
                    });
                }
                row_toks.sort_unstable_by(|x, y| x.cmp(y, &text));
                row_toks.dedup_by(|x, y| x.cmp(y, &text).is_eq());
                spans.append(&mut row_toks);
                row_ends.push(spans.len());
            }
            // The static tokens: those of the first row every other row holds.
            let mut fixed: Vec<Tok> = spans[..row_ends[0]].to_vec();
            for w in row_ends.windows(2) {
                let own = &spans[w[0]..w[1]];
                fixed.retain(|s| own.binary_search_by(|t| t.cmp(s, &text)).is_ok());
            }
            let mut start = 0;
            for (&row, &end) in rows.iter().zip(&row_ends) {
                let from = residual.len();
                for t in &spans[start..end] {
                    if fixed.binary_search_by(|s| s.cmp(t, &text)).is_err() {
                        if residual.len() > from {
                            residual.push(' ');
                        }
                        residual.push_str(t.str(&text));
                    }
                }
                residual_at[row as usize] = (from as u32, residual.len() as u32);
                start = end;
            }
            let mut names: Vec<String> = fixed.iter().map(|s| s.str(&text).to_string()).collect();
            names.sort_unstable();
            statics.push(names);
        }
        Split {
            statics,
            group_of_row,
            residual,
            residual_at,
        }
    }

    /// The tokens of `row` outside its group's static tokens, separated by
    /// spaces (the `whitespace` tokenizer takes them back apart).
    pub fn residual(&self, row: usize) -> &str {
        let (a, b) = self.residual_at[row];
        &self.residual[a as usize..b as usize]
    }

    /// The [`groups_file`] of this split.
    pub fn encode(&self) -> Vec<u8> {
        let mut text = String::new();
        for group in &self.statics {
            text.push_str(&group.join(" "));
            text.push('\n');
        }
        zstd::bulk::compress(text.as_bytes(), 3).expect("zstd compresses into a Vec")
    }
}

/// A token of a group's values: its hash and its span in the group's text.
/// Tokens are ordered by hash, then text, so comparing two is mostly one
/// integer comparison, and equal hashes of different tokens stay apart.
#[derive(Debug, Clone, Copy)]
struct Tok {
    hash: u64,
    at: u32,
    end: u32,
}

impl Tok {
    fn str(self, text: &str) -> &str {
        &text[self.at as usize..self.end as usize]
    }

    fn cmp(&self, other: &Tok, text: &str) -> std::cmp::Ordering {
        self.hash
            .cmp(&other.hash)
            .then_with(|| self.str(text).cmp(other.str(text)))
    }
}

/// Static tokens of a segment's groups, looked up at query time.
#[derive(Debug, Default)]
pub struct TemplateGroups {
    /// Each static token and the groups holding it, ascending.
    groups_of: BTreeMap<String, Vec<u64>>,
}

impl TemplateGroups {
    /// Reads a [`groups_file`]; the error says what is wrong.
    pub fn decode(bytes: &[u8]) -> Result<TemplateGroups, String> {
        let text = zstd::stream::decode_all(bytes).map_err(|e| format!("not zstd: {e}"))?;
        let text = String::from_utf8(text).map_err(|_| "not UTF-8".to_string())?;
        let mut groups_of: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for (group, line) in text.lines().enumerate() {
            for token in line.split(' ').filter(|t| !t.is_empty()) {
                groups_of
                    .entry(token.to_string())
                    .or_default()
                    .push(group as u64);
            }
        }
        Ok(TemplateGroups { groups_of })
    }

    /// Groups whose static tokens include `token`.
    fn with_token(&self, token: &str) -> Vec<u64> {
        self.groups_of.get(token).cloned().unwrap_or_default()
    }

    /// Groups with a static token starting with `prefix`.
    fn with_prefix(&self, prefix: &str) -> Vec<u64> {
        let mut groups: Vec<u64> = self
            .groups_of
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(t, _)| t.starts_with(prefix))
            .flat_map(|(_, g)| g.iter().copied())
            .collect();
        groups.sort_unstable();
        groups.dedup();
        groups
    }

    /// The groups whose static tokens a leaf of a text query on `column`
    /// matches (their rows are to be ORed with the field's own postings),
    /// or `None` if it is not a term or prefix on `column` or no group
    /// matches.
    pub fn groups_matching(&self, column: &str, leaf: &TextQuery) -> Option<Vec<u64>> {
        let groups = match leaf {
            TextQuery::Phrase { field, tokens } if field == column && tokens.len() == 1 => {
                self.with_token(&tokens[0])
            }
            TextQuery::Prefix { field, prefix } if field == column => self.with_prefix(prefix),
            _ => return None,
        };
        (!groups.is_empty()).then_some(groups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text_query::analyze;
    use rand::{Rng, SeedableRng, rngs::StdRng};
    use std::collections::BTreeSet;

    fn tokens(text: &str) -> BTreeSet<String> {
        analyze(text).into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn static_tokens_are_what_every_row_of_a_group_holds() {
        let messages = StringArray::from(vec![
            Some("User 42 logged in from 10.0.0.1"),
            Some("user 7 logged in from 10.0.0.9"),
            Some("Cache miss for key=abc"),
            None,
            Some("cache miss for key=def"),
            Some("no template"),
        ]);
        let ids = Int64Array::from(vec![Some(1), Some(1), Some(2), Some(2), Some(2), None]);
        let split = Split::new(&messages, &ids);
        assert_eq!(
            split.group_of_row,
            vec![Some(0), Some(0), Some(1), None, Some(1), Some(2)]
        );
        assert_eq!(
            split.statics,
            vec![
                vec!["0", "10", "from", "in", "logged", "user"],
                vec!["cache", "for", "key", "miss"],
                vec!["no", "template"],
            ]
        );
        // a row's own tokens, in no particular order
        let residuals: Vec<Vec<&str>> = (0..6)
            .map(|r| {
                let mut own: Vec<&str> = split.residual(r).split_whitespace().collect();
                own.sort_unstable();
                own
            })
            .collect();
        let expect: [&[&str]; 6] = [&["1", "42"], &["7", "9"], &["abc"], &[], &["def"], &[]];
        assert_eq!(residuals, expect);
    }

    /// Any grouping, even an arbitrary one, answers every token and prefix
    /// exactly: rows through their own tokens or their group's.
    #[test]
    fn own_and_group_tokens_are_each_rows_tokens_for_any_grouping() {
        let mut rng = StdRng::seed_from_u64(7);
        let words = [
            "alpha",
            "beta",
            "gamma",
            "delta",
            "Ünïcode",
            "x1",
            "42",
            "beta2",
        ];
        let messages: Vec<Option<String>> = (0..300)
            .map(|_| {
                rng.random_bool(0.9).then(|| {
                    (0..rng.random_range(0..6))
                        .map(|_| words[rng.random_range(0..words.len())])
                        .collect::<Vec<_>>()
                        .join(if rng.random_bool(0.5) { " " } else { "-" })
                })
            })
            .collect();
        let ids: Vec<Option<i64>> = (0..300)
            .map(|_| rng.random_bool(0.9).then(|| rng.random_range(0..5)))
            .collect();
        let split = Split::new(&StringArray::from(messages.clone()), &Int64Array::from(ids));
        let groups = TemplateGroups::decode(&split.encode()).unwrap();
        for (row, message) in messages.iter().enumerate() {
            let Some(message) = message else {
                assert_eq!(split.group_of_row[row], None, "row {row}");
                assert_eq!(split.residual(row), "", "row {row}");
                continue;
            };
            let group = u64::from(split.group_of_row[row].unwrap());
            let own: BTreeSet<String> = split
                .residual(row)
                .split(' ')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect();
            let statics: BTreeSet<String> = groups
                .groups_of
                .iter()
                .filter(|(_, g)| g.contains(&group))
                .map(|(t, _)| t.clone())
                .collect();
            assert!(own.is_disjoint(&statics), "row {row}");
            let union: BTreeSet<String> = own.union(&statics).cloned().collect();
            assert_eq!(union, tokens(message), "row {row}: {message:?}");
            for prefix in ["b", "beta", "ü", "4", "zz"] {
                let by_group = groups.with_prefix(prefix).contains(&group);
                let expect = tokens(message).iter().any(|t| t.starts_with(prefix));
                let by_own = own.iter().any(|t| t.starts_with(prefix));
                assert_eq!(by_group || by_own, expect, "row {row} prefix {prefix}");
            }
        }
    }

    #[test]
    fn a_damaged_groups_file_is_an_error() {
        assert!(TemplateGroups::decode(b"not zstd").is_err());
    }
}
