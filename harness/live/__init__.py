"""Running the rendered dev stack for real on loopback, from Debian's packages: the live
tests' fixture and `scripts/try-local`. Free ports at run time, data in temporary
directories, every process stopped by its pid."""
