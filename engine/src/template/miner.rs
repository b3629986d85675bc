//! [`TemplateMiner`]: the online miner (parse tree, matching, generalisation).

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::config::MinerConfig;
use super::mask::{Masked, TokenKind, mask_into};
use super::{PositionKind, Template, TemplateId};

/// Version of the serialised state.
const STATE_VERSION: u32 = 1;

thread_local! {
    static SCRATCH: RefCell<Masked> = RefCell::new(Masked::default());
}

/// An online log-template miner in the Drain family.
///
/// ```text
/// message ─> mask ─> skeleton tokens ─> leaf (token count, leading tokens)
///        ─> first template of the leaf whose constants all match ─> its id
///        └> none: look for a group of templates in the leaf that differ from
///           the message only in a few positions, each showing enough distinct
///           values ─> generalise the oldest, fold the others into it (parent)
///           └> none: new template
/// ```
///
/// (A new template also folds in older templates of its leaf that it covers.)
///
/// Ids: ids are never reused or renumbered. A template keeps its id when it is
/// generalised; a template folded into another keeps its id and gets a parent
/// link, so [`TemplateMiner::canonical`] maps any id ever returned (and stored
/// with a row) to the live template. `add` and `match_message` return live
/// ids; a message resolves to the same live template for as long as it
/// stays the oldest template that fits it, which the folding keeps true in
/// practice (no message of the Loghub-2k datasets ever changes template).
///
/// Cost: matching masks the message (one pass over its bytes), hashes the
/// leaf key and compares the message with the leaf's templates, oldest
/// first. Creating a template looks at no more than
/// [`MinerConfig::max_merge_candidates`] templates of the leaf. Like Drain,
/// a leaf whose messages never generalise keeps growing, and matching in it
/// grows linearly.
///
/// State: `Serialize`/`Deserialize` write the configuration and the
/// templates (with a format version); the parse tree is rebuilt on load.
#[derive(Debug)]
pub struct TemplateMiner {
    config: MinerConfig,
    /// `templates[i].id() == i + 1`.
    templates: Vec<Template>,
    /// Parse-tree leaves: leaf key -> live templates, oldest first.
    leaves: HashMap<u64, Vec<u32>, BuildHasherDefault<FxHasher>>,
}

impl TemplateMiner {
    /// A miner with no templates. The configuration should have passed
    /// [`MinerConfig::validate`].
    pub fn new(config: MinerConfig) -> Self {
        Self {
            config,
            templates: Vec::new(),
            leaves: HashMap::default(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &MinerConfig {
        &self.config
    }

    /// Assigns the message to a template, creating or generalising one, and
    /// returns the id of the live template it now belongs to.
    pub fn add(&mut self, message: &str) -> TemplateId {
        SCRATCH.with(|s| {
            let mut m = s.borrow_mut();
            mask_into(message, &mut m);
            let key = self.leaf_key(&m);
            let idx = match self.find_fit(key, &m) {
                Some(i) => {
                    self.templates[i].observe(&m);
                    i
                }
                None => self.create_or_merge(key, &m),
            };
            self.templates[idx].id()
        })
    }

    /// The id `add` would return, without changing anything; `None` when no
    /// template matches yet.
    pub fn match_message(&self, message: &str) -> Option<TemplateId> {
        SCRATCH.with(|s| {
            let mut m = s.borrow_mut();
            mask_into(message, &mut m);
            let key = self.leaf_key(&m);
            self.find_fit(key, &m).map(|i| self.templates[i].id())
        })
    }

    /// The template with this id (live or folded).
    pub fn template(&self, id: TemplateId) -> Option<&Template> {
        let i = usize::try_from(id).ok()?.checked_sub(1)?;
        self.templates.get(i)
    }

    /// The live template that `id` was folded into (itself when live).
    pub fn canonical(&self, id: TemplateId) -> TemplateId {
        let mut id = id;
        // Parent chains are acyclic (checked on load); the bound is a backstop.
        for _ in 0..=self.templates.len() {
            match self.template(id).and_then(Template::parent) {
                Some(parent) => id = parent,
                None => break,
            }
        }
        id
    }

    /// All templates ever created, live and folded, by id.
    pub fn templates(&self) -> impl Iterator<Item = &Template> {
        self.templates.iter()
    }

    /// Live templates only (those without a parent).
    pub fn live_templates(&self) -> impl Iterator<Item = &Template> {
        self.templates.iter().filter(|t| t.parent().is_none())
    }

    fn leaf_key(&self, m: &Masked) -> u64 {
        let mut h = FxHasher::default();
        h.write_usize(m.tokens.len());
        for t in m.tokens.iter().take(self.config.leading_tokens) {
            if t.kind == TokenKind::Word {
                h.write(m.text[t.range.clone()].as_bytes());
            } else {
                h.write_u8(0xff);
            }
        }
        h.finish()
    }

    fn template_key(&self, t: &Template) -> u64 {
        let mut h = FxHasher::default();
        h.write_usize(t.positions().len());
        for p in t.positions().iter().take(self.config.leading_tokens) {
            if p.kind == PositionKind::Word {
                h.write(p.text.as_bytes());
            } else {
                h.write_u8(0xff);
            }
        }
        h.finish()
    }

    fn find_fit(&self, key: u64, m: &Masked) -> Option<usize> {
        let leaf = self.leaves.get(&key)?;
        leaf.iter()
            .map(|&i| i as usize)
            .find(|&i| self.templates[i].fits(m))
    }

    fn create_or_merge(&mut self, key: u64, m: &Masked) -> usize {
        let leaf = self.leaves.get(&key).map(Vec::as_slice).unwrap_or_default();
        let start = leaf.len().saturating_sub(self.config.max_merge_candidates);
        let candidates: Vec<usize> = leaf[start..].iter().map(|&i| i as usize).collect();
        if let Some((family, diff)) =
            super::merge::best_group(&self.config, &self.templates, &candidates, m)
        {
            return self.merge(key, &family, &diff, m);
        }
        let idx = self.templates.len();
        let id = idx as TemplateId + 1;
        self.templates.push(Template::new(id, m));
        self.leaves.entry(key).or_default().push(idx as u32);
        self.absorb_covered(key, idx);
        idx
    }

    /// Generalises the oldest template of `family` at `diff` (and wherever a
    /// member is already variable), folds the rest and every other template
    /// of the leaf that it now covers into it, then records `m`.
    fn merge(&mut self, key: u64, family: &[usize], diff: &[usize], m: &Masked) -> usize {
        let survivor = *family.iter().min().expect("a merge group is never empty");
        let mut wild: Vec<usize> = diff.to_vec();
        for &f in family {
            let ps = self.templates[f].positions();
            wild.extend((0..ps.len()).filter(|&p| ps[p].kind == PositionKind::Wild));
        }
        self.templates[survivor].generalise(wild);
        self.absorb_covered(key, survivor);
        self.templates[survivor].observe(m);
        survivor
    }

    /// Folds every other live template of the leaf that `general` covers into it.
    fn absorb_covered(&mut self, key: u64, general: usize) {
        let Some(leaf) = self.leaves.get_mut(&key) else {
            return;
        };
        let mut leaf = std::mem::take(leaf);
        leaf.retain(|&i| {
            let i = i as usize;
            if i == general || !covers(&self.templates[general], &self.templates[i]) {
                return true;
            }
            let (g, c) = pair_mut(&mut self.templates, general, i);
            g.absorb(c);
            false
        });
        self.leaves.insert(key, leaf);
    }
}

/// Whether every message of `specific` also fits `general`.
fn covers(general: &Template, specific: &Template) -> bool {
    let (g, s) = (general.positions(), specific.positions());
    g.len() == s.len() && g.iter().zip(s).all(|(g, s)| g.covers(s))
}

fn pair_mut(v: &mut [Template], a: usize, b: usize) -> (&mut Template, &mut Template) {
    assert_ne!(a, b, "pair_mut needs two distinct indices");
    if a < b {
        let (l, r) = v.split_at_mut(b);
        (&mut l[a], &mut r[0])
    } else {
        let (l, r) = v.split_at_mut(a);
        (&mut r[0], &mut l[b])
    }
}

/// The serialised form: configuration and templates; the parse tree is
/// rebuilt on load.
#[derive(Serialize)]
struct StateRef<'a> {
    version: u32,
    config: &'a MinerConfig,
    templates: &'a [Template],
}

#[derive(Deserialize)]
struct State {
    version: u32,
    config: MinerConfig,
    templates: Vec<Template>,
}

impl Serialize for TemplateMiner {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StateRef {
            version: STATE_VERSION,
            config: &self.config,
            templates: &self.templates,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for TemplateMiner {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let state = State::deserialize(d)?;
        if state.version != STATE_VERSION {
            return Err(D::Error::custom(format!(
                "unsupported template miner state version {}",
                state.version
            )));
        }
        for (i, t) in state.templates.iter().enumerate() {
            let parent_ok = t
                .parent()
                .is_none_or(|p| p >= 1 && p as usize <= state.templates.len() && p != t.id());
            if t.id() != i as TemplateId + 1 || !parent_ok {
                return Err(D::Error::custom(format!(
                    "corrupt template miner state at template {}",
                    i + 1
                )));
            }
        }
        let mut miner = TemplateMiner::new(state.config);
        miner.templates = state.templates;
        if let Some(t) = miner.templates.iter().find(|t| {
            miner
                .template(miner.canonical(t.id()))
                .and_then(Template::parent)
                .is_some()
        }) {
            return Err(D::Error::custom(format!(
                "corrupt template miner state: parent cycle through template {}",
                t.id()
            )));
        }
        for i in 0..miner.templates.len() {
            if miner.templates[i].parent().is_none() {
                let key = miner.template_key(&miner.templates[i]);
                miner.leaves.entry(key).or_default().push(i as u32);
            }
        }
        Ok(miner)
    }
}

/// The rustc/Firefox "Fx" hash: fast for short keys, and stable across
/// versions (leaf keys are recomputed on load, never stored).
#[derive(Default, Clone, Copy)]
struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("chunk of 8")));
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(tail) ^ ((rest.len() as u64) << 56));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n) | 1 << 63);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}
