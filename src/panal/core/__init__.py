"""Framework-free helpers: ids, clock, text normalisation, CSV safety. Imports no app."""
