//! [`TextQuery`] -> tantivy [`Query`].

use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, InvertedIndexRangeQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Schema};
use tantivy::{TantivyError, Term};

use super::TextQuery;

impl TextQuery {
    /// Translate to a tantivy query over an index whose schema has one field
    /// per name in [`TEXT_FIELDS`](super::TEXT_FIELDS) (the `default`
    /// analyzer's tokens) and one per [`RAW_FIELDS`](super::RAW_FIELDS)
    /// (tokenizer `raw`). A field missing from `schema` is an error.
    ///
    /// - a one-token phrase and a raw value are a [`TermQuery`], a longer
    ///   phrase a [`PhraseQuery`] (which needs positions: segment indexes
    ///   hold none, so the engine asks them for the phrase's tokens and
    ///   checks the phrase on the column);
    /// - a prefix is the term range `[prefix, next prefix)` of the field's term
    ///   dictionary ([`InvertedIndexRangeQuery`], without an expansion limit):
    ///   exactly the terms whose bytes start with the prefix;
    /// - a clause list made only of negations gets an [`AllQuery`] to subtract
    ///   from, since a tantivy boolean query of `MustNot`s alone matches nothing.
    pub fn to_tantivy(&self, schema: &Schema) -> tantivy::Result<Box<dyn Query>> {
        self.to_tantivy_with(schema, &|_| None)
    }

    /// [`to_tantivy`](Self::to_tantivy), where each term and prefix also
    /// matches the documents `more` gives for it (ORed): an index that
    /// keeps some of a field's tokens outside the field's postings (see
    /// [`template_groups`](crate::segment::template_groups)).
    pub fn to_tantivy_with(
        &self,
        schema: &Schema,
        more: &MoreRows,
    ) -> tantivy::Result<Box<dyn Query>> {
        let leaf = |base: Box<dyn Query>| -> Box<dyn Query> {
            match more(self) {
                Some(extra) => Box::new(BooleanQuery::new(vec![
                    (Occur::Should, base),
                    (Occur::Should, extra),
                ])),
                None => base,
            }
        };
        Ok(match self {
            TextQuery::Phrase { field, tokens } => {
                let field = schema.get_field(field)?;
                match tokens.as_slice() {
                    [] => {
                        return Err(TantivyError::InvalidArgument(
                            "a text query phrase needs at least one token".to_owned(),
                        ));
                    }
                    [token] => leaf(term_query(field, token)),
                    tokens => Box::new(PhraseQuery::new(
                        tokens
                            .iter()
                            .map(|t| Term::from_field_text(field, t))
                            .collect(),
                    )),
                }
            }
            TextQuery::RawEq { field, value } => term_query(schema.get_field(field)?, value),
            TextQuery::Prefix { field, prefix } => {
                leaf(prefix_query(schema.get_field(field)?, prefix))
            }
            TextQuery::RawPrefix { field, prefix } => {
                prefix_query(schema.get_field(field)?, prefix)
            }
            TextQuery::And(children) => {
                let mut clauses = Vec::with_capacity(children.len() + 1);
                for child in children {
                    clauses.push(match child {
                        TextQuery::Not(inner) => {
                            (Occur::MustNot, inner.to_tantivy_with(schema, more)?)
                        }
                        positive => (Occur::Must, positive.to_tantivy_with(schema, more)?),
                    });
                }
                if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
                    clauses.insert(0, (Occur::Must, Box::new(AllQuery)));
                }
                Box::new(BooleanQuery::new(clauses))
            }
            TextQuery::Or(children) => Box::new(BooleanQuery::new(
                children
                    .iter()
                    .map(|child| Ok((Occur::Should, child.to_tantivy_with(schema, more)?)))
                    .collect::<tantivy::Result<_>>()?,
            )),
            TextQuery::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery)),
                (Occur::MustNot, inner.to_tantivy_with(schema, more)?),
            ])),
        })
    }
}

/// Extra documents for a leaf of a [`TextQuery`], see
/// [`TextQuery::to_tantivy_with`].
pub type MoreRows<'a> = dyn Fn(&TextQuery) -> Option<Box<dyn Query>> + 'a;

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::Basic,
    ))
}

fn prefix_query(field: Field, prefix: &str) -> Box<dyn Query> {
    let upper = match prefix_end(prefix.as_bytes()) {
        Some(end) => {
            let mut term = Term::from_field_text(field, "");
            term.append_bytes(&end);
            Bound::Excluded(term)
        }
        None => Bound::Unbounded,
    };
    Box::new(InvertedIndexRangeQuery::new(
        Bound::Included(Term::from_field_text(field, prefix)),
        upper,
    ))
}

/// The smallest byte string greater than every string starting with `prefix`,
/// or `None` if there is none (empty prefix or all `0xFF`).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn prefix_end_is_the_next_byte_string() {
        let cases: &[(&[u8], Option<&[u8]>)] = &[
            (b"abc", Some(b"abd")),
            (b"ab\xff", Some(b"ac")),
            (b"\xff\xff", None),
            (b"", None),
        ];
        for (prefix, end) in cases {
            assert_eq!(prefix_end(prefix).as_deref(), *end, "{prefix:?}");
        }
    }
}
