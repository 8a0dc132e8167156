//! `amana-review`'s help and error messages, pinned (trycmd cases in `tests/cmd/`): a change
//! to what reviewers read is a visible diff in review. `TRYCMD=overwrite cargo test -p
//! amana-review --test cmd` rewrites the expected output after a deliberate change.

#[test]
fn help_and_errors_are_pinned() {
    // Each case removes AMANA_REVIEW_HOME, AMANA_SERVER and AMANA_REVIEW_PASSPHRASE
    // (`env.remove`), so the caller's environment cannot change what is printed.
    trycmd::TestCases::new().env("NO_COLOR", "1").case("tests/cmd/*.toml");
}
