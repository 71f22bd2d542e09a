//! The one config file of `poolbench compare` and `poolbench gate` (`poolbench-compare.toml` by
//! default): defaults for the whole run, and per-benchmark thresholds, exclusions and accepted
//! slowdowns. Both honour `alpha`, `threshold` and every `[[benchmark]]` entry; `statistic` and
//! `resamples` say how `compare` tests samples, and the gate, which tests rounds, has neither.
//!
//! ```toml
//! statistic = "p10"   # mean, median, or p1..p99
//! alpha = 0.05        # significance level, and 1 - the intervals' confidence level
//! threshold = 5       # percent: smaller changes are never flagged (default: compare 5, gate 2)
//! resamples = 10000   # bootstrap resamples, 1000 to 100000
//!
//! [[benchmark]]
//! id = "startup/*"    # `*` matches any run of characters, `/` included
//! threshold = 15
//! reason = "process start-up varies with the page cache"
//!
//! [[benchmark]]
//! id = "crossover/io-tcp/*"
//! ignore = true
//! reason = "loopback latency on shared runners"
//!
//! [[benchmark]]
//! id = "pools/squares-10k/ProcessPool/*"
//! accept = true       # `poolbench gate`: a slowdown here is intended
//! base = "c85d37f"    # against this base only (a commit prefix); omit for any base
//! reason = "every result now checked twice: #123"
//! ```
//!
//! For each benchmark the first `[[benchmark]]` entry whose pattern matches its id applies: put
//! specific patterns before general ones. Unknown keys are errors, so a misspelt `treshold`
//! cannot silently do nothing.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Error, Statistic};

/// Bootstrap resamples unless told otherwise (`compare`'s).
pub const DEFAULT_RESAMPLES: usize = 10_000;
/// The fewest bootstrap resamples accepted: fewer make the interval's 2.5% tails a handful of
/// draws, and the p-value's floor (`2 / (resamples + 1)`) too coarse for alpha = 0.001.
pub const MIN_RESAMPLES: usize = 1_000;
/// The most bootstrap resamples accepted: ten times the default, so that one benchmark's
/// bootstrap stays within seconds (each resample draws every sample of every factor anew).
pub const MAX_RESAMPLES: usize = 100_000;

/// The config file's contents.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The statistic compared.
    pub statistic: Option<Statistic>,
    /// The significance level.
    pub alpha: Option<f64>,
    /// The default threshold, in percent.
    pub threshold: Option<f64>,
    /// Bootstrap resamples.
    pub resamples: Option<usize>,
    /// Per-benchmark entries, in priority order.
    #[serde(default, rename = "benchmark")]
    pub rules: Vec<Rule>,
}

/// What the config file says of the benchmarks whose ids match a pattern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The pattern: a benchmark id in which `*` matches any run of characters.
    pub id: String,
    /// The threshold for these benchmarks, in percent.
    pub threshold: Option<f64>,
    /// Leave these benchmarks out of the gate (they are still listed, as ignored).
    #[serde(default)]
    pub ignore: bool,
    /// A slowdown of these benchmarks is intended: `poolbench gate` reports a regression of
    /// theirs as accepted, with `reason`, and does not fail for it.
    #[serde(default)]
    pub accept: bool,
    /// With `accept`: only when the gate's base commit starts with this, so that an accepted
    /// slowdown stops being accepted once the change has landed and the base has moved on.
    pub base: Option<String>,
    /// Why, for the table.
    pub reason: Option<String>,
}

impl Rule {
    /// Whether `id` matches this rule's pattern.
    pub fn matches(&self, id: &str) -> bool {
        glob_matches(&self.id, id)
    }

    /// Whether a regression of `id`, gated against the base commit `base`, is accepted.
    pub fn accepts(&self, id: &str, base: Option<&str>) -> bool {
        self.accept && self.matches(id) && self.accepts_base(base)
    }

    /// Whether this rule's `base`, if it gives one, is the base commit `base`.
    pub fn accepts_base(&self, base: Option<&str>) -> bool {
        match (&self.base, base) {
            (None, _) => true,
            (Some(prefix), Some(commit)) => !prefix.is_empty() && commit.starts_with(prefix.as_str()),
            (Some(_), None) => false,
        }
    }
}

impl Config {
    /// Reads and checks the config file at `path`.
    ///
    /// # Errors
    ///
    /// An [`Error`] naming the file: unreadable, not TOML, an unknown key, or a value out of range.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|err| Error::read(path, err))?;
        Config::parse(&text, path)
    }

    /// Parses and checks `text`, the contents of `path`.
    ///
    /// # Errors
    ///
    /// As [`Config::load`].
    pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
        let config: Config = toml::from_str(text).map_err(|err| {
            Error::config(
                path,
                format!(
                    "{}; see `poolbench compare --help` for the keys (`gate` reads the same file)",
                    err.to_string().trim_end()
                ),
            )
        })?;
        if let Some(alpha) = config.alpha {
            check_alpha(alpha).map_err(|message| Error::config(path, message))?;
        }
        if let Some(threshold) = config.threshold {
            check_threshold(threshold).map_err(|message| Error::config(path, message))?;
        }
        if let Some(resamples) = config.resamples {
            check_resamples(resamples).map_err(|message| Error::config(path, message))?;
        }
        for rule in &config.rules {
            if let Some(threshold) = rule.threshold {
                check_threshold(threshold).map_err(|message| {
                    Error::config(path, format!("[[benchmark]] id = {:?}: {message}", rule.id))
                })?;
            }
            if rule.threshold.is_none() && !rule.ignore && !rule.accept {
                return Err(Error::config(
                    path,
                    format!(
                        "[[benchmark]] id = {:?} sets neither threshold nor ignore = true nor accept = true; give \
                         one or remove the entry",
                        rule.id
                    ),
                ));
            }
            if rule.accept && rule.reason.as_deref().is_none_or(|reason| reason.trim().is_empty()) {
                return Err(Error::config(
                    path,
                    format!(
                        "[[benchmark]] id = {:?} accepts a slowdown without a reason; say why in reason = \"...\", \
                         as a reviewer would ask",
                        rule.id
                    ),
                ));
            }
            if rule.base.is_some() && !rule.accept {
                return Err(Error::config(
                    path,
                    format!(
                        "[[benchmark]] id = {:?} gives base without accept = true; base only scopes an acceptance",
                        rule.id
                    ),
                ));
            }
        }
        Ok(config)
    }
}

/// Checks a significance level: a probability strictly between 0 and 0.5.
pub(crate) fn check_alpha(alpha: f64) -> Result<(), String> {
    if alpha > 0.0 && alpha <= 0.5 {
        Ok(())
    } else {
        Err(format!("alpha = {alpha} is not a significance level; give one in (0, 0.5], e.g. 0.05"))
    }
}

/// Checks a number of bootstrap resamples: from [`MIN_RESAMPLES`] to [`MAX_RESAMPLES`].
pub(crate) fn check_resamples(resamples: usize) -> Result<(), String> {
    if (MIN_RESAMPLES..=MAX_RESAMPLES).contains(&resamples) {
        Ok(())
    } else {
        Err(format!(
            "resamples = {resamples}: give {MIN_RESAMPLES} to {MAX_RESAMPLES} ({DEFAULT_RESAMPLES} by default)"
        ))
    }
}

/// Checks a threshold in percent: positive and finite.
pub(crate) fn check_threshold(percent: f64) -> Result<(), String> {
    if percent.is_finite() && percent > 0.0 {
        Ok(())
    } else {
        Err(format!("threshold = {percent} is not a positive percentage; give e.g. 5 for 5%"))
    }
}

/// Whether `text` matches `pattern`, in which `*` stands for any run of characters.
///
/// Hand-rolled: benchmark ids are not paths, so a glob crate's notion of `/` would only get in
/// the way, and this is the classic linear-time wildcard match with one backtrack point.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == '*' {
            backtrack = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((star, matched)) = backtrack {
            // Let the last star swallow one more character and try again from there.
            p = star + 1;
            t = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_match_any_run_of_characters_slashes_included() {
        assert!(glob_matches("startup/*", "startup/ex8-squares/ProcessPool/2"));
        assert!(glob_matches("*/cpu-spin/*", "pools/cpu-spin/Rayon/4"));
        assert!(glob_matches("task/factorial/2000", "task/factorial/2000"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a*b*c", "aXbYbZc"));
        assert!(!glob_matches("task/factorial/2000", "task/factorial/20000"));
        assert!(!glob_matches("pools/*/8", "pools/cpu-spin/Rayon/4"));
        assert!(!glob_matches("a*b", "a"));
    }

    #[test]
    fn a_config_file_parses_with_rules_in_order() {
        let text = r#"
            statistic = "median"
            alpha = 0.01
            threshold = 7.5

            [[benchmark]]
            id = "startup/*"
            threshold = 15
            reason = "page cache"

            [[benchmark]]
            id = "crossover/io-tcp/*"
            ignore = true
        "#;
        let config = Config::parse(text, Path::new("c.toml")).unwrap();
        assert_eq!(config.statistic, Some(Statistic::Percentile(50)));
        assert_eq!((config.alpha, config.threshold, config.resamples), (Some(0.01), Some(7.5), None));
        assert_eq!(config.rules.len(), 2);
        assert!(config.rules[0].matches("startup/ex7-factorial/StdPool/8"));
        assert!(config.rules[1].ignore && config.rules[1].threshold.is_none());
    }

    #[test]
    fn an_accepted_slowdown_applies_to_its_ids_and_only_against_its_base() {
        let text = r#"
            [[benchmark]]
            id = "pools/*/ProcessPool/*"
            accept = true
            base = "c85d37f"
            reason = "results checked twice"

            [[benchmark]]
            id = "startup/*"
            accept = true
            reason = "a slower start for a safer one"
        "#;
        let config = Config::parse(text, Path::new("c.toml")).unwrap();
        let [scoped, any] = &config.rules[..] else { panic!("two rules") };
        assert!(scoped.accepts("pools/squares-10k/ProcessPool/2", Some("c85d37fea73d")));
        assert!(!scoped.accepts("pools/squares-10k/ProcessPool/2", Some("a81a6a2")));
        assert!(!scoped.accepts("pools/squares-10k/ProcessPool/2", None));
        assert!(!scoped.accepts("pools/squares-10k/StdPool/2", Some("c85d37f")));
        assert!(any.accepts("startup/ex8-squares/Rayon/2", None));
        assert!(any.accepts("startup/ex8-squares/Rayon/2", Some("anything")));
    }

    #[test]
    fn mistakes_in_the_config_file_are_errors_naming_the_file() {
        for (text, expected) in [
            ("treshold = 5", "unknown field"),
            ("threshold = -1", "not a positive percentage"),
            ("alpha = 1.5", "not a significance level"),
            ("statistic = \"p200\"", "not a statistic"),
            ("[[benchmark]]\nid = \"x\"", "neither threshold nor ignore"),
            ("[[benchmark]]\nid = \"x\"\naccept = true", "without a reason"),
            ("[[benchmark]]\nid = \"x\"\naccept = true\nreason = \" \"", "without a reason"),
            ("[[benchmark]]\nid = \"x\"\nignore = true\nbase = \"abc\"", "base without accept"),
            ("threshold = ", "c.toml"),
        ] {
            let err = Config::parse(text, Path::new("c.toml")).unwrap_err().to_string();
            assert!(err.starts_with("c.toml: ") && err.contains(expected), "{text}: {err}");
        }
    }
}
