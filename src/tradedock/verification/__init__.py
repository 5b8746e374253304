"""The verification checklist: requirements as data, small registered checks, one concurrent round of reads."""
