//! Number formatting as a Chinese survey report prints it: half-up rounding (四舍五入) computed
//! exactly on the count and base, never on a rounded float.

/// `count / base` as a percentage with `decimals` places, rounded half up exactly:
/// `percent(210, 720, 2)` → `"29.17%"`. `"—"` when the base is zero.
pub fn percent(count: u64, base: u64, decimals: u32) -> String {
    match percent_number(count, base, decimals) {
        Some(s) => format!("{s}%"),
        None => "—".into(),
    }
}

/// As [`percent`] without the `%` sign.
pub fn percent_number(count: u64, base: u64, decimals: u32) -> Option<String> {
    if base == 0 {
        return None;
    }
    let scale = 10u128.pow(decimals);
    let num = count as u128 * 100 * scale;
    let den = base as u128;
    // half up: floor((2·num + den) / (2·den))
    let scaled = (2 * num + den) / (2 * den);
    Some(fixed(scaled, decimals))
}

/// A float percentage (e.g. a weighted share or a difference) with `decimals` places, half up.
pub fn percent_f64(p: f64, decimals: u32) -> String {
    format!("{}%", number_f64(p, decimals))
}

/// A float with `decimals` places, half away from zero.
pub fn number_f64(x: f64, decimals: u32) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let scale = 10f64.powi(decimals as i32);
    // Nudge by a relative epsilon so 0.125 (stored as 0.12499999…) still rounds up.
    let v = (x.abs() * scale * (1.0 + 1e-12)).round() as u128;
    let s = fixed(v, decimals);
    if x < 0.0 && v != 0 {
        format!("-{s}")
    } else {
        s
    }
}

/// [`number_f64`] with its whole part grouped in threes by commas when it has at least
/// `from_digits` digits (`326,726.27`). GB/T 15835 leaves four-digit numbers whole unless they
/// stand in a column with longer ones: pass 5, or 4 for such a column.
pub fn grouped(x: f64, decimals: u32, from_digits: usize) -> String {
    let s = number_f64(x, decimals);
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", s.as_str()),
    };
    let (whole, frac) = rest.split_at(rest.find('.').unwrap_or(rest.len()));
    if whole.len() < from_digits.max(4) || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return s;
    }
    let mut out = String::from(sign);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push_str(frac);
    out
}

/// An interval in percent as printed: `[27.9, 61.7]`.
pub fn interval(lower: f64, upper: f64, decimals: u32) -> String {
    format!(
        "[{}, {}]",
        number_f64(lower, decimals),
        number_f64(upper, decimals)
    )
}

/// A change, signed: `+3.2`, `−1.5` (a true minus sign), `0.0` when it rounds to zero.
pub fn signed(x: f64, decimals: u32) -> String {
    let t = number_f64(x.abs(), decimals);
    if !x.is_finite() || t.chars().all(|c| c == '0' || c == '.') {
        return if x.is_finite() { t } else { "—".into() };
    }
    if x > 0.0 {
        format!("+{t}")
    } else {
        format!("−{t}")
    }
}

/// An interval of a change, signed: `[−1.2, +5.3]`.
pub fn signed_interval(lower: f64, upper: f64, decimals: u32) -> String {
    format!("[{}, {}]", signed(lower, decimals), signed(upper, decimals))
}

/// A p-value as printed: `p=0.034`, `p<0.001`.
pub fn p_value(p: f64) -> String {
    if p < 0.001 {
        "p<0.001".into()
    } else {
        format!("p={}", number_f64(p, 3))
    }
}

/// Whether a character is Chinese text (ideographs, kana, full-width forms, CJK punctuation).
fn cjk(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

/// Punctuation as Chinese text prints it: a half-width comma, semicolon, colon, question or
/// exclamation mark after Chinese text becomes full-width (and the space after it goes), and
/// parentheses next to Chinese text become （）. Text without Chinese next to the marks — a
/// number range, an English phrase, a file name — is left alone.
pub fn zh_punctuation(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(cjk) || !s.contains([',', ';', ':', '?', '!', '(', ')']) {
        return std::borrow::Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let prev = |i: usize| chars[..i].iter().rev().find(|c| **c != ' ').copied();
    let next = |i: usize| chars[i + 1..].iter().find(|c| **c != ' ').copied();
    let mut out = String::with_capacity(s.len() + 8);
    // Per open parenthesis: whether it became full-width (its partner follows it).
    let mut opens: Vec<bool> = Vec::new();
    let mut skip_space = false;
    for (i, &c) in chars.iter().enumerate() {
        if skip_space && c == ' ' {
            continue;
        }
        skip_space = false;
        let after_zh = prev(i).is_some_and(cjk);
        let before_zh = next(i).is_some_and(cjk);
        match c {
            ',' | ';' | ':' | '?' | '!' if after_zh => {
                out.push(match c {
                    ',' => '，',
                    ';' => '；',
                    ':' => '：',
                    '?' => '？',
                    _ => '！',
                });
                skip_space = true;
            }
            '(' => {
                let full = after_zh || before_zh;
                opens.push(full);
                out.push(if full { '（' } else { '(' });
            }
            ')' => {
                let full = opens.pop().unwrap_or(after_zh || before_zh);
                out.push(if full { '）' } else { ')' });
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

fn fixed(scaled: u128, decimals: u32) -> String {
    if decimals == 0 {
        return scaled.to_string();
    }
    let scale = 10u128.pow(decimals);
    format!(
        "{}.{:0width$}",
        scaled / scale,
        scaled % scale,
        width = decimals as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_examples() {
        assert_eq!(percent(210, 720, 2), "29.17%");
        assert_eq!(percent(399, 720, 2), "55.42%");
        assert_eq!(percent(46, 720, 2), "6.39%");
        assert_eq!(percent(702, 720, 1), "97.5%");
        assert_eq!(percent(432, 720, 2), "60.00%");
        assert_eq!(percent(0, 720, 2), "0.00%");
        assert_eq!(percent(1, 0, 2), "—");
    }

    #[test]
    fn large_numbers_are_grouped_from_five_digits() {
        assert_eq!(grouped(326726.2727, 2, 5), "326,726.27");
        assert_eq!(grouped(7995.0, 0, 5), "7995");
        assert_eq!(grouped(7995.0, 0, 4), "7,995");
        assert_eq!(grouped(799.0, 0, 4), "799");
        assert_eq!(grouped(12345.0, 0, 5), "12,345");
        assert_eq!(grouped(1234567.5, 1, 5), "1,234,567.5");
        assert_eq!(grouped(-50113.0, 0, 5), "-50,113");
        assert_eq!(grouped(f64::NAN, 2, 5), "—");
    }

    #[test]
    fn chinese_punctuation() {
        assert_eq!(zh_punctuation("是, 能显著提升"), "是，能显著提升");
        assert_eq!(
            zh_punctuation("数据泄露防护(DLP)中的智能识别"),
            "数据泄露防护（DLP）中的智能识别"
        );
        assert_eq!(zh_punctuation("0.1%-0.2%(含)"), "0.1%-0.2%（含）");
        assert_eq!(zh_punctuation("AI (and ML), etc."), "AI (and ML), etc.");
        assert_eq!(zh_punctuation("data/a-b_c.xlsx"), "data/a-b_c.xlsx");
        assert_eq!(zh_punctuation("注意:这里"), "注意：这里");
    }

    #[test]
    fn ties_round_half_up() {
        // 1/8 = 12.5% exactly: one decimal keeps it, zero decimals rounds up to 13.
        assert_eq!(percent(1, 8, 0), "13%");
        // 9/720 = 1.25% exactly: 1.3, not the banker's 1.2.
        assert_eq!(percent(9, 720, 1), "1.3%");
        assert_eq!(number_f64(0.125, 2), "0.13");
        assert_eq!(number_f64(-2.5, 0), "-3");
    }
}
