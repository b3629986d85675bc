//! [`MinerConfig`]: the miner's tuning knobs, with documented defaults.

use serde::{Deserialize, Serialize};

/// Default for [`MinerConfig::similarity_threshold`].
pub const DEFAULT_SIMILARITY_THRESHOLD: f64 = 0.6;
/// Default for [`MinerConfig::leading_tokens`].
pub const DEFAULT_LEADING_TOKENS: usize = 1;
/// Default for [`MinerConfig::min_variants`].
pub const DEFAULT_MIN_VARIANTS: usize = 3;
/// Default for [`MinerConfig::min_enum_variants`].
pub const DEFAULT_MIN_ENUM_VARIANTS: usize = 8;
/// Default for [`MinerConfig::max_merge_candidates`].
pub const DEFAULT_MAX_MERGE_CANDIDATES: usize = 256;

/// Configuration of a [`super::TemplateMiner`].
///
/// One configuration serves all log sources: nothing here is specific to a
/// product or a format.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MinerConfig {
    /// Fraction of a message's tokens that must be identical to a group of
    /// templates' tokens for the group to be generalised into one template
    /// (Drain's `st`). In `[0, 1]`.
    pub similarity_threshold: f64,
    /// How many leading tokens key the parse tree (after the token count).
    /// A leading token without a variable is a constant of its template and
    /// never becomes `<*>` (Drain's depth − 2).
    pub leading_tokens: usize,
    /// How many different values a position must show across templates that
    /// otherwise agree before it becomes a variable. Below it, the values are
    /// kept as separate templates (`startup` / `shutdown`).
    pub min_variants: usize,
    /// Like `min_variants`, for positions whose values are `key=word` pairs
    /// with the same key: such values are usually enumerations (`user=root`,
    /// `state=RUNNING`), so more evidence is needed.
    pub min_enum_variants: usize,
    /// How many templates of one parse-tree leaf are considered when looking
    /// for a group to generalise (the most recent ones); bounds the cost of
    /// creating a template in a crowded leaf.
    pub max_merge_candidates: usize,
}

impl Default for MinerConfig {
    fn default() -> Self {
        Self {
            similarity_threshold: DEFAULT_SIMILARITY_THRESHOLD,
            leading_tokens: DEFAULT_LEADING_TOKENS,
            min_variants: DEFAULT_MIN_VARIANTS,
            min_enum_variants: DEFAULT_MIN_ENUM_VARIANTS,
            max_merge_candidates: DEFAULT_MAX_MERGE_CANDIDATES,
        }
    }
}

impl MinerConfig {
    /// Checks the ranges; the message names the offending field.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.similarity_threshold) {
            return Err(format!(
                "similarity_threshold must be within [0, 1], got {}",
                self.similarity_threshold
            ));
        }
        if self.min_variants < 2 {
            return Err(format!(
                "min_variants must be at least 2, got {}",
                self.min_variants
            ));
        }
        if self.min_enum_variants < 2 {
            return Err(format!(
                "min_enum_variants must be at least 2, got {}",
                self.min_enum_variants
            ));
        }
        if self.max_merge_candidates == 0 {
            return Err("max_merge_candidates must be at least 1".to_owned());
        }
        Ok(())
    }

    /// Most positions a group may differ in, for messages of `len` tokens.
    pub(crate) fn max_differences(&self, len: usize) -> usize {
        // The epsilon keeps 0.5 * 4 = 2 exact despite binary floating point.
        ((len as f64) * (1.0 - self.similarity_threshold) + 1e-9).floor() as usize
    }
}
