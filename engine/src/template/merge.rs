//! Choosing which templates of a leaf to generalise together.
//!
//! Drain merges a message into the most similar template as soon as enough
//! tokens agree, which turns every pair of sibling messages (`startup` /
//! `shutdown succeeded`) into one template. Here a position becomes a
//! variable only when a *group* of templates that agree everywhere else shows
//! enough distinct values at it (Brain's observation that constants repeat
//! and variables vary, applied online): two values stay two templates, three
//! or more make a variable (more for `key=word` enumerations).

use super::config::MinerConfig;
use super::mask::{Masked, TokenKind};
use super::{PositionKind, Template};

/// The best group for a message that fits no template: (members, positions
/// to generalise), or `None` when no group has enough evidence.
pub(crate) fn best_group(
    config: &MinerConfig,
    templates: &[Template],
    candidates: &[usize],
    m: &Masked,
) -> Option<(Vec<usize>, Vec<usize>)> {
    let n = m.tokens.len();
    let max_diff = config.max_differences(n);
    if max_diff == 0 {
        return None;
    }
    // Positions where each candidate's constants differ from the message.
    let mut diffs: Vec<(usize, Vec<usize>)> = Vec::new();
    'candidates: for &i in candidates {
        let ps = templates[i].positions();
        if ps.len() != n {
            continue;
        }
        let mut d = Vec::new();
        for (p, (pos, tok)) in ps.iter().zip(&m.tokens).enumerate() {
            if pos.accepts(&m.text[tok.range.clone()], tok.kind) {
                continue;
            }
            let leading_word = p < config.leading_tokens
                && (pos.kind == PositionKind::Word || tok.kind == TokenKind::Word);
            if leading_word || d.len() == max_diff {
                continue 'candidates;
            }
            d.push(p);
        }
        diffs.push((i, d));
    }
    let mut best: Option<(Vec<usize>, Vec<usize>)> = None;
    for (k, (_, diff)) in diffs.iter().enumerate() {
        if diff.is_empty() || diffs[..k].iter().any(|(_, d)| d == diff) {
            continue;
        }
        let family: Vec<usize> = diffs
            .iter()
            .filter(|(_, d)| d.iter().all(|p| diff.contains(p)))
            .map(|(i, _)| *i)
            .collect();
        if !diff
            .iter()
            .all(|&p| varies_enough(config, templates, &family, m, p))
        {
            continue;
        }
        let better = match &best {
            None => true,
            Some((bf, bd)) => {
                (family.len(), std::cmp::Reverse(diff.len()))
                    > (bf.len(), std::cmp::Reverse(bd.len()))
            }
        };
        if better {
            best = Some((family, diff.clone()));
        }
    }
    best
}

/// Whether position `p` shows enough distinct values across the group and
/// the message to be a variable.
fn varies_enough(
    config: &MinerConfig,
    templates: &[Template],
    family: &[usize],
    m: &Masked,
    p: usize,
) -> bool {
    let tok = &m.tokens[p];
    let mut values: Vec<(&str, PositionKind)> =
        vec![(&m.text[tok.range.clone()], position_kind(tok.kind))];
    for &f in family {
        let pos = &templates[f].positions()[p];
        if pos.kind == PositionKind::Wild {
            return true;
        }
        if !values.iter().any(|(v, _)| *v == pos.text) {
            values.push((&pos.text, pos.kind));
        }
    }
    values.len() >= needed_variants(config, &values)
}

fn position_kind(kind: TokenKind) -> PositionKind {
    match kind {
        TokenKind::Word => PositionKind::Word,
        TokenKind::Mixed => PositionKind::Mixed,
        TokenKind::Slot | TokenKind::Note => PositionKind::Slot,
    }
}

/// How many distinct values make a variable of a position holding `values`.
fn needed_variants(config: &MinerConfig, values: &[(&str, PositionKind)]) -> usize {
    let all = |kind: PositionKind| values.iter().all(|(_, k)| *k == kind);
    if all(PositionKind::Word) && (values.iter().all(|(v, _)| is_enum_word(v)) || same_key(values))
    {
        // UPPER_CASE constants and `key=word` pairs: enumerations.
        return config.min_enum_variants;
    }
    if all(PositionKind::Mixed) && values.iter().all(|(v, _)| is_named_id(v)) {
        // Identifiers of one structure with different names (`job_<*>`, `task_<*>`).
        return 2;
    }
    config.min_variants
}

/// `RUNNING`, `SHUTTING_DOWN`, `HTTPS`: upper-case letters and `_` only.
fn is_enum_word(v: &str) -> bool {
    v.len() >= 2
        && v.bytes().all(|c| c.is_ascii_uppercase() || c == b'_')
        && v.bytes().any(|c| c.is_ascii_uppercase())
}

/// `name_<*>` or `name-<*>`: a named identifier.
fn is_named_id(v: &str) -> bool {
    v.strip_suffix("_<*>")
        .or_else(|| v.strip_suffix("-<*>"))
        .is_some_and(|name| !name.is_empty() && name.bytes().all(|c| c.is_ascii_alphabetic()))
}

/// All values are `key=word` with one key.
fn same_key(values: &[(&str, PositionKind)]) -> bool {
    let key = |v: &str| {
        v.find('=')
            .filter(|&i| i > 0 && i + 1 < v.len())
            .map(|i| v[..=i].to_owned())
    };
    let first = key(values[0].0);
    first.is_some() && values.iter().all(|(v, _)| key(v) == first)
}
