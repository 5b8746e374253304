"""Exchange adapter tests, one folder per exchange."""
