"""Understanding: language, classifiers and their models (docs/understanding.md)."""
