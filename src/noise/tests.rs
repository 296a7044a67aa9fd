//! Cross-model tests (closed forms, orderings, Monte Carlo).
