//! The two JavaScript formatting rules Clerk's messages depend on, done by hand so that our
//! messages read exactly like `@clerk/backend`'s: `JSON.stringify` of a claim value and
//! `Date.prototype.toUTCString`.

use core::fmt::Write as _;

use serde_json::Value;

/// Largest time value a JavaScript `Date` can hold, in milliseconds either side of the epoch.
const JS_MAX_TIME_MS: i64 = 8_640_000_000_000_000;

/// Formats `ms` since the epoch as JavaScript's `new Date(ms).toUTCString()` does, for
/// example `Fri, 27 Nov 2026 14:00:00 GMT`. Outside the range of a JavaScript `Date`,
/// `Invalid Date`, as in JavaScript.
pub(crate) fn utc_string(ms: i64) -> String {
    if !(-JS_MAX_TIME_MS..=JS_MAX_TIME_MS).contains(&ms) {
        return "Invalid Date".to_owned();
    }
    let days = ms.div_euclid(86_400_000);
    let ms_of_day = ms.rem_euclid(86_400_000);
    let secs = ms_of_day / 1000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = (days + 4).rem_euclid(7);
    const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let wd = usize::try_from(weekday)
        .ok()
        .and_then(|i| WEEKDAYS.get(i))
        .unwrap_or(&"Thu");
    let mo = usize::try_from(month - 1)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .unwrap_or(&"Jan");
    let sign = if year < 0 { "-" } else { "" };
    format!(
        "{wd}, {day:02} {mo} {sign}{:04} {h:02}:{m:02}:{s:02} GMT",
        year.unsigned_abs()
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month 1-12, day 1-31).
/// Howard Hinnant's `civil_from_days`; exact over the whole range used here.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `JSON.stringify(value)` as JavaScript writes it. Strings, arrays and objects are the same
/// as serde_json's; numbers follow JavaScript's `Number#toString` (`1e+21`, `1e-7`, and
/// integers beyond 2^53 rounded to the nearest double).
pub(crate) fn json(value: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, value);
    out
}

/// `JSON.stringify` of an optional value: a missing value is `undefined` in JavaScript's
/// template strings.
pub(crate) fn json_or_undefined(value: Option<&Value>) -> String {
    value.map_or_else(|| "undefined".to_owned(), json)
}

fn write_json(out: &mut String, value: &Value) {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= 1 << 53) {
                let _ = write!(out, "{i}");
            } else {
                out.push_str(&number(n.as_f64().unwrap_or(f64::NAN)));
            }
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_json(out, v);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// JavaScript's `Number#toString()` for a double (ECMA-262 Number::toString, radix 10).
pub(crate) fn number(x: f64) -> String {
    if x.is_nan() {
        return "null".to_owned(); // JSON.stringify(NaN)
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    if x.is_infinite() {
        return "null".to_owned(); // JSON.stringify(Infinity)
    }
    // Rust's `{:e}` gives the shortest round-trip digits, like JavaScript: "d.ddde±x".
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let e: i64 = exp.parse().unwrap_or(0);
    let k = i64::try_from(digits.len()).unwrap_or(1);
    let n = e + 1; // value = 0.digits × 10^n
    let sign = if x < 0.0 { "-" } else { "" };
    let body = if k <= n && n <= 21 {
        let zeros = usize::try_from(n - k).unwrap_or(0);
        format!("{digits}{}", "0".repeat(zeros))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(usize::try_from(n).unwrap_or(0).min(digits.len()));
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat(usize::try_from(-n).unwrap_or(0)))
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        let exp_sign = if n > 0 { "+" } else { "-" };
        let dot = if rest.is_empty() { "" } else { "." };
        format!("{first}{dot}{rest}e{exp_sign}{}", (n - 1).unsigned_abs())
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn utc_strings_match_javascript() {
        // Expected values from node: new Date(ms).toUTCString().
        assert_eq!(utc_string(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(utc_string(1_000_000), "Thu, 01 Jan 1970 00:16:40 GMT");
        assert_eq!(
            utc_string(1_795_788_000_000),
            "Fri, 27 Nov 2026 14:00:00 GMT"
        );
        assert_eq!(utc_string(951_782_400_999), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(utc_string(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
        assert_eq!(
            utc_string(-62_198_755_200_000),
            "Fri, 01 Jan -0001 00:00:00 GMT"
        );
        assert_eq!(
            utc_string(253_402_300_800_000),
            "Sat, 01 Jan 10000 00:00:00 GMT"
        );
        assert_eq!(
            utc_string(8_640_000_000_000_000),
            "Sat, 13 Sep 275760 00:00:00 GMT"
        );
        assert_eq!(utc_string(8_640_000_000_000_001), "Invalid Date");
        assert_eq!(utc_string(i64::MIN), "Invalid Date");
    }

    #[test]
    fn numbers_match_javascript() {
        // Expected values from node: String(x).
        let cases: [(f64, &str); 12] = [
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123.456, "123.456"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (-1.5e300, "-1.5e+300"),
            (9_223_372_036_854_775_807.0, "9223372036854776000"),
            (0.1, "0.1"),
            (-0.0, "0"),
            (5.0, "5"),
            (1.25e-10, "1.25e-10"),
            (1700000000.5, "1700000000.5"),
        ];
        for (x, want) in cases {
            assert_eq!(number(x), want, "{x}");
        }
    }

    #[test]
    fn json_matches_javascript() {
        assert_eq!(json(&json!("q")), r#""q""#);
        assert_eq!(json(&json!(["a", 1, 1e300])), r#"["a",1,1e+300]"#);
        assert_eq!(
            json(&json!({"b": 1, "a": [true, null]})),
            r#"{"b":1,"a":[true,null]}"#
        );
        assert_eq!(json(&json!(u64::MAX)), "18446744073709552000");
        assert_eq!(json(&json!(i64::MIN)), "-9223372036854776000");
        assert_eq!(json_or_undefined(None), "undefined");
    }
}
