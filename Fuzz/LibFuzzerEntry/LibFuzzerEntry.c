// See include/LibFuzzerEntry.h. LLVMFuzzerRunDriver is libclang_rt.fuzzer's public entry
// (LLVM 12+), linked by -sanitize=fuzzer.
#include "LibFuzzerEntry.h"

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

int libfuzzer_run(int argc, char **argv, int (*test_one_input)(const uint8_t *data, size_t size)) {
    return LLVMFuzzerRunDriver(&argc, &argv, test_one_input);
}
