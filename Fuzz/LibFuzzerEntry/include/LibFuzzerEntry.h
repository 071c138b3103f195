// Hands control to libFuzzer from a Swift `@main`. SwiftPM renames every executable's entry
// point to `<module>_main` (so tests can link executables), which leaves no room for the
// `main` libFuzzer brings; the fuzz targets therefore start libFuzzer's driver themselves.
#ifndef LIBFUZZER_ENTRY_H
#define LIBFUZZER_ENTRY_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer with the process' arguments, calling `test_one_input` per input.
int libfuzzer_run(int argc, char **argv, int (*test_one_input)(const uint8_t *data, size_t size));

#endif
