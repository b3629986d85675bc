//! The postings of a segment's template groups, found without a term
//! dictionary lookup per group.
//!
//! A term or prefix on a text column is answered as the field's own
//! postings OR the rows of every group whose static tokens hold it
//! ([`template_groups`](super::template_groups)), a dozen groups or more.
//! The term dictionaries are zstd-compressed sstables: each lookup
//! decompresses a ~4 KB block and decodes its term infos (~6 µs, against
//! ~0.2 µs in an FST). The group numbers of a segment are few and dense
//! (0..n), so [`GroupPostings`] reads the group field's term infos once,
//! when the index is opened, in one pass over its dictionary, and a query
//! for a set of groups reads their postings directly.

use std::sync::Arc;

use tantivy::index::SegmentId;
use tantivy::postings::TermInfo;
use tantivy::query::{
    BitSetDocSet, ConstScorer, EnableScoring, Explanation, Query, Scorer, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{BitSet, DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError};

/// The term infos of one group field, by group number, for the single
/// tantivy segment of an index.
#[derive(Debug)]
pub struct GroupPostings {
    field: Field,
    segment: SegmentId,
    /// `infos[g]`: the postings of group `g` (none for a number no row has).
    infos: Vec<Option<TermInfo>>,
}

impl GroupPostings {
    /// Reads every term of `field` (a u64 field, one term per group) of
    /// `reader`'s segment.
    pub fn load(reader: &SegmentReader, field: Field) -> tantivy::Result<GroupPostings> {
        let inverted = reader.inverted_index(field)?;
        let mut infos: Vec<Option<TermInfo>> = Vec::new();
        let mut terms = inverted.terms().stream()?;
        while terms.advance() {
            let key: [u8; 8] = terms.key().try_into().map_err(|_| {
                TantivyError::InternalError(format!(
                    "group field term of {} bytes, not a u64",
                    terms.key().len()
                ))
            })?;
            let group = u64::from_be_bytes(key) as usize;
            if group >= infos.len() {
                infos.resize(group + 1, None);
            }
            infos[group] = Some(terms.value().clone());
        }
        Ok(GroupPostings {
            field,
            segment: reader.segment_id(),
            infos,
        })
    }

    /// A query matching the documents of every group in `groups`.
    pub fn query(&self, groups: &[u64]) -> Box<dyn Query> {
        let infos = groups
            .iter()
            .filter_map(|&g| self.infos.get(g as usize).cloned().flatten())
            .collect();
        Box::new(GroupsQuery {
            field: self.field,
            segment: self.segment,
            infos: Arc::new(infos),
        })
    }

    /// Bytes held (an estimate: the term infos).
    pub fn size_bytes(&self) -> usize {
        self.infos.len() * std::mem::size_of::<Option<TermInfo>>()
    }
}

/// The union of some groups' postings in one segment; its own weight.
#[derive(Clone, Debug)]
struct GroupsQuery {
    field: Field,
    segment: SegmentId,
    infos: Arc<Vec<TermInfo>>,
}

impl Query for GroupsQuery {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for GroupsQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        if reader.segment_id() != self.segment {
            return Err(TantivyError::InternalError(format!(
                "group postings of segment {} asked of segment {}",
                self.segment.short_uuid_string(),
                reader.segment_id().short_uuid_string()
            )));
        }
        let inverted = reader.inverted_index(self.field)?;
        let mut docs = BitSet::with_max_value(reader.max_doc());
        for info in self.infos.iter() {
            let mut postings =
                inverted.read_postings_from_terminfo(info, IndexRecordOption::Basic)?;
            let mut doc = postings.doc();
            while doc != TERMINATED {
                docs.insert(doc);
                doc = postings.advance();
            }
        }
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(docs), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document {doc} is in none of the groups"
            )));
        }
        Ok(Explanation::new("in a matching template group", 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::DocSetCollector;
    use tantivy::schema::{NumericOptions, Schema};
    use tantivy::{Index, TantivyDocument};

    /// An index of `groups.len()` documents, document `d` in group
    /// `groups[d]` (none: no group term).
    fn index_of(groups: &[Option<u64>]) -> (Index, Field) {
        let mut b = Schema::builder();
        let field = b.add_u64_field("_group_message", NumericOptions::default().set_indexed());
        let index = Index::create_in_ram(b.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for g in groups {
            let mut doc = TantivyDocument::new();
            if let Some(g) = g {
                doc.add_u64(field, *g);
            }
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        (index, field)
    }

    /// Documents of the groups in `wanted`, as the query finds them and as
    /// the assignment says, over many groups (several dictionary blocks).
    #[test]
    fn a_query_finds_exactly_the_documents_of_its_groups() {
        let groups: Vec<Option<u64>> = (0..20_000u64)
            .map(|d| (d % 7 != 3).then_some((d * 7919) % 1_500))
            .collect();
        let (index, field) = index_of(&groups);
        let searcher = index.reader().unwrap().searcher();
        let [segment] = searcher.segment_readers() else {
            panic!("one segment")
        };
        let postings = GroupPostings::load(segment, field).unwrap();
        for wanted in [
            vec![0],
            vec![5, 1_499, 700],
            (0..1_500).step_by(11).collect(),
            vec![1_500, 9_999],
        ] {
            let found = searcher
                .search(&*postings.query(&wanted), &DocSetCollector)
                .unwrap();
            let mut found: Vec<u32> = found.into_iter().map(|a| a.doc_id).collect();
            found.sort_unstable();
            let expected: Vec<u32> = (0..groups.len() as u32)
                .filter(|&d| groups[d as usize].is_some_and(|g| wanted.contains(&g)))
                .collect();
            assert_eq!(found, expected, "{:?}", &wanted[..wanted.len().min(4)]);
        }
    }

    /// The term infos belong to one segment: another segment's reader is
    /// refused, not read at the wrong offsets.
    #[test]
    fn another_segment_is_refused() {
        let (a, field) = index_of(&[Some(0), Some(1)]);
        let (b, _) = index_of(&[Some(1), Some(0)]);
        let a_searcher = a.reader().unwrap().searcher();
        let postings = GroupPostings::load(&a_searcher.segment_readers()[0], field).unwrap();
        let b_searcher = b.reader().unwrap().searcher();
        let err = b_searcher
            .search(&*postings.query(&[0]), &DocSetCollector)
            .unwrap_err();
        assert!(err.to_string().contains("asked of segment"), "{err}");
    }
}
