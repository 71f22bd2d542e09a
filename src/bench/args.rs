//! The bench binary's command line, read once: what Criterion's arguments ask of poolbench.
//!
//! Criterion parses its own arguments (`configure_from_args`); poolbench needs a few answers from
//! the same words before and after: the filter (a regular expression over ids, for the Python
//! peers), and whether the run keeps what it measures (`--list`, `--ignored` and `--profile-time`
//! keep nothing; `--test` is a smoke run). [`Main::run`](super::Main::run) reads them here once
//! and hands them to what needs them: the peers, the rounds, the report.

/// Criterion's options that take a value (Criterion 0.8's `configure_from_args`): the word after
/// one of them is that value, not the filter.
const TAKES_VALUE: [&str; 20] = [
    "-c",
    "--color",
    "--colour",
    "-s",
    "--save-baseline",
    "-b",
    "--baseline",
    "--baseline-lenient",
    "--format",
    "--profile-time",
    "--load-baseline",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--plotting-backend",
    "--output-format",
];

/// What poolbench needs from the bench's command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BenchArgs {
    /// Criterion's filter: its first positional argument.
    pub filter: Option<String>,
    /// `--test`: a smoke run.
    pub smoke_test: bool,
    /// `--list`, `--ignored` or `--profile-time`: nothing measured is kept.
    pub keeps_nothing: bool,
}

impl BenchArgs {
    /// Reads the arguments after the program name, as Criterion does.
    pub fn parse<S: AsRef<str>>(args: impl IntoIterator<Item = S>) -> Self {
        let mut parsed = BenchArgs::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let arg = arg.as_ref();
            let positional = match arg {
                "--" => args.next().map(|next| next.as_ref().to_owned()),
                "--test" => {
                    parsed.smoke_test = true;
                    None
                }
                "--list" | "--ignored" => {
                    parsed.keeps_nothing = true;
                    None
                }
                flag if TAKES_VALUE.contains(&flag) => {
                    parsed.keeps_nothing |= flag == "--profile-time";
                    args.next();
                    None
                }
                flag if flag.starts_with('-') => {
                    parsed.keeps_nothing |= flag.starts_with("--profile-time=");
                    None
                }
                word => Some(word.to_owned()),
            };
            if parsed.filter.is_none() {
                parsed.filter = positional;
            }
        }
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_is_the_first_word_that_is_no_option_value() {
        let parse = |args: &[&str]| BenchArgs::parse(args.iter().copied());
        assert_eq!(parse(&["--bench", "startup"]).filter.as_deref(), Some("startup"));
        assert_eq!(parse(&["--bench", "--save-baseline", "main", "pools"]).filter.as_deref(), Some("pools"));
        assert_eq!(parse(&["--bench", "--save-baseline=main", "ipc"]).filter.as_deref(), Some("ipc"));
        assert_eq!(parse(&["--bench", "-b", "main"]).filter, None);
        assert_eq!(parse(&["--", "-weird"]).filter.as_deref(), Some("-weird"));
        assert_eq!(parse(&["--bench"]), BenchArgs::default());
    }

    #[test]
    fn listing_and_profiling_keep_nothing_and_test_is_a_smoke_run() {
        let parse = |args: &[&str]| BenchArgs::parse(args.iter().copied());
        assert!(parse(&["--bench", "--list"]).keeps_nothing);
        assert!(parse(&["--profile-time", "5", "task"]).keeps_nothing);
        assert_eq!(parse(&["--profile-time", "5", "task"]).filter.as_deref(), Some("task"));
        assert!(parse(&["--profile-time=5"]).keeps_nothing);
        let smoke = parse(&["--bench", "--test"]);
        assert!(smoke.smoke_test && !smoke.keeps_nothing);
    }
}
