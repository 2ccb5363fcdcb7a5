//! Bit-level helpers over validity bitmaps: 64 rows at a time.

use polars_arrow::bitmap::Bitmap;

/// Call `f(offset, word, n)` for rows `start..start + len` of `validity` (all present when
/// `None`), 64 rows at a time: bit `j` of `word` is row `start + offset + j`, `n` rows (≤ 64).
pub(crate) fn for_each_word(
    validity: Option<&Bitmap>,
    start: usize,
    len: usize,
    mut f: impl FnMut(usize, u64, usize),
) {
    // Bits past the `n` rows are always clear.
    let mut f = |offset: usize, word: u64, n: usize| {
        f(offset, word & (u64::MAX >> (64 - n)), n);
    };
    let Some(validity) = validity else {
        for offset in (0..len).step_by(64) {
            f(offset, u64::MAX, (len - offset).min(64));
        }
        return;
    };
    let bits = validity.clone().sliced(start, len);
    let mut words = bits.fast_iter_u64();
    let mut offset = 0;
    for word in &mut words {
        f(offset, word, 64);
        offset += 64;
    }
    let ([lo, hi], left) = words.remainder();
    if left > 0 {
        f(offset, lo, left.min(64));
    }
    if left > 64 {
        f(offset + 64, hi, left - 64);
    }
}

/// 64 flags (each 0 or 1) as the bits of a word, flag `j` in bit `j`: each 8 flags read as one
/// little-endian word and gathered into a byte by one multiplication.
pub(crate) fn pack_flags(flags: &[u8; 64]) -> u64 {
    let mut word = 0;
    for (k, eight) in flags.chunks_exact(8).enumerate() {
        let x = u64::from_le_bytes([
            eight[0], eight[1], eight[2], eight[3], eight[4], eight[5], eight[6], eight[7],
        ]);
        word |= (x.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k);
    }
    word
}

/// Set bit `i` of a bitmap held as bytes when `on` (no branch: nearly every call sets it).
pub(crate) fn set_bit(bytes: &mut [u8], i: u32, on: bool) {
    bytes[(i >> 3) as usize] |= u8::from(on) << (i & 7);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_pack_into_bits_in_order() {
        let mut flags = [0u8; 64];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..1000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for (j, flag) in flags.iter_mut().enumerate() {
                *flag = u8::from((x >> j) & 1 == 1);
            }
            assert_eq!(pack_flags(&flags), x);
        }
    }
}
