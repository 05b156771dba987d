//! Object sizes: one size (`4KiB`) or a weighted distribution
//! (`4KiB:80,1MiB:20`).

use crate::Error;
use rand::Rng;

/// Parses `4096`, `4KiB`, `4KB` (also 1024), `1MiB`, `64MiB`, `1GiB`.
pub fn parse_size(text: &str) -> Result<u64, Error> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| Error::Invalid(format!("size {text:?}: expected a number and a unit")))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => {
            return Err(Error::Invalid(format!(
                "size {text:?}: unknown unit {other:?}"
            )))
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| Error::Invalid(format!("size {text:?} is too large")))
}

/// Sizes drawn by weight.
#[derive(Clone, Debug, PartialEq)]
pub struct SizeDist {
    choices: Vec<(u64, u32)>,
    total: u32,
}

impl SizeDist {
    pub fn parse(text: &str) -> Result<SizeDist, Error> {
        let mut choices = Vec::new();
        for part in text.split(',') {
            let (size, weight) = match part.split_once(':') {
                Some((s, w)) => {
                    let w = w.trim().parse::<u32>().map_err(|_| {
                        Error::Invalid(format!("weight in {part:?} is not a number"))
                    })?;
                    (parse_size(s)?, w)
                }
                None => (parse_size(part)?, 1),
            };
            if weight > 0 {
                choices.push((size, weight));
            }
        }
        let total = choices.iter().map(|c| c.1).sum();
        if total == 0 {
            return Err(Error::Invalid(format!("no size in {text:?}")));
        }
        Ok(SizeDist { choices, total })
    }

    pub fn pick(&self, rng: &mut impl Rng) -> u64 {
        let mut x = rng.gen_range(0..self.total);
        for (size, w) in &self.choices {
            if x < *w {
                return *size;
            }
            x -= w;
        }
        self.choices.last().map(|c| c.0).unwrap_or(0)
    }

    pub fn max(&self) -> u64 {
        self.choices.iter().map(|c| c.0).max().unwrap_or(0)
    }

    /// How the distribution is written back (for reports).
    pub fn describe(&self) -> String {
        if self.choices.len() == 1 {
            return human(self.choices[0].0);
        }
        self.choices
            .iter()
            .map(|(s, w)| format!("{}:{w}", human(*s)))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// `4KiB`, `1MiB`, `1536B`.
pub fn human(n: u64) -> String {
    for (unit, m) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if n >= m && n.is_multiple_of(m) {
            return format!("{}{unit}", n / m);
        }
    }
    format!("{n}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert_eq!(parse_size("4KiB").unwrap(), 4096);
        assert_eq!(parse_size("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_size("1g").unwrap(), 1 << 30);
        assert!(parse_size("4XB").is_err());
        assert!(parse_size("KiB").is_err());
        let d = SizeDist::parse("4KiB:3,1MiB:1").unwrap();
        assert_eq!(d.max(), 1 << 20);
        assert_eq!(d.describe(), "4KiB:3,1MiB:1");
        let mut rng = rand::thread_rng();
        let picks: Vec<u64> = (0..1000).map(|_| d.pick(&mut rng)).collect();
        let big = picks.iter().filter(|s| **s == 1 << 20).count();
        assert!((150..350).contains(&big), "{big}");
        assert!(SizeDist::parse("4KiB:0").is_err());
    }
}
