//! Identifiers: ULID-like log ids, execution, trace and span ids.
//!
//! Uniqueness does not rest on luck: each id embeds a per-run counter passed
//! through a bijective mixer keyed by the seed, so two ids of one run never
//! collide, yet they look random and differ between seeds.

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const HEX: &[u8; 16] = b"0123456789abcdef";
const MASK48: u64 = (1 << 48) - 1;

/// The splitmix64 finalizer: a bijection on `u64`.
pub(super) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A bijection on the low 48 bits (xorshifts and odd multiplications
/// modulo 2^48).
pub(super) fn mix48(z: u64) -> u64 {
    let mut z = z & MASK48;
    z = ((z ^ (z >> 24)).wrapping_mul(0x9e37_79b9_7f4b)) & MASK48;
    z = ((z ^ (z >> 23)).wrapping_mul(0xbf58_476d_1ce5)) & MASK48;
    z ^ (z >> 24)
}

/// A 26-character ULID (Crockford base32): 48 bits of milliseconds since the
/// epoch (clamped at zero), then 80 bits of `entropy`.
pub(super) fn ulid(timestamp_us: i64, entropy: u128) -> String {
    let ms = u128::from(timestamp_us.div_euclid(1000).clamp(0, MASK48 as i64) as u64);
    let value = (ms << 80) | (entropy & ((1u128 << 80) - 1));
    let mut out = String::with_capacity(26);
    for i in 0..26 {
        let shift = 125 - 5 * i;
        out.push(char::from(CROCKFORD[((value >> shift) & 31) as usize]));
    }
    out
}

/// Appends `value` as `digits` lowercase hex digits (the low bits).
pub(super) fn push_hex(out: &mut String, value: u64, digits: u32) {
    for i in (0..digits).rev() {
        out.push(char::from(HEX[((value >> (4 * i)) & 15) as usize]));
    }
}

/// Keys drawn once per run from the seeded RNG.
#[derive(Debug, Clone)]
pub(super) struct IdKeys {
    pub log: u64,
    pub exec: u64,
    pub trace: u64,
    pub span: u64,
}

impl IdKeys {
    /// `<ulid>` from the record's time, 16 random bits and the record counter.
    pub(super) fn log_id(&self, timestamp_us: i64, counter: u64, random16: u16) -> String {
        let entropy = (u128::from(random16) << 64) | u128::from(mix64(counter ^ self.log));
        ulid(timestamp_us, entropy)
    }

    /// `exec-` + 12 hex digits of milliseconds + 12 hex digits of the mixed
    /// execution counter.
    pub(super) fn execution_id(&self, timestamp_us: i64, counter: u64) -> String {
        let mut out = String::with_capacity(29);
        out.push_str("exec-");
        push_hex(&mut out, timestamp_us.div_euclid(1000).max(0) as u64, 12);
        push_hex(&mut out, mix48(counter ^ self.exec), 12);
        out
    }

    /// 32 hex digits: the mixed execution counter, then 64 random bits.
    pub(super) fn trace_id(&self, counter: u64, random: u64) -> String {
        let mut out = String::with_capacity(32);
        push_hex(&mut out, mix64(counter ^ self.trace), 16);
        push_hex(&mut out, random, 16);
        out
    }

    /// 16 hex digits: the mixed span counter.
    pub(super) fn span_id(&self, counter: u64) -> String {
        let mut out = String::with_capacity(16);
        push_hex(&mut out, mix64(counter ^ self.span), 16);
        out
    }
}
