// Counts heap allocations by defining malloc, calloc and realloc in the benchmark executable:
// the dynamic linker then binds every library's calls (the Swift runtime's included) to these,
// which count and forward to glibc's own entry points. aligned_alloc and posix_memalign are not
// counted (the Swift runtime uses them only for alignments above 16). Benchmarks only: never
// linked into exporterd.
#include "AllocationCounter.h"

#if defined(__linux__)
#include <features.h>  // defines __GLIBC__ on glibc
#endif

#if defined(__GLIBC__)
#include <stddef.h>
#include <stdatomic.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);

static _Atomic unsigned long long allocations;

void *malloc(size_t size) {
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return __libc_realloc(pointer, size);
}

unsigned long long allocation_counter_count(void) {
    return atomic_load_explicit(&allocations, memory_order_relaxed);
}

int allocation_counter_available(void) { return 1; }
#else
unsigned long long allocation_counter_count(void) { return 0; }
int allocation_counter_available(void) { return 0; }
#endif
