// Counts the process's heap allocations, for benchmarks that print how many a step makes.
#ifndef ALLOCATION_COUNTER_H
#define ALLOCATION_COUNTER_H

/// malloc, calloc and realloc calls so far (0 where counting is unavailable).
unsigned long long allocation_counter_count(void);
/// 1 where the calls are counted (glibc), 0 elsewhere.
int allocation_counter_available(void);

#endif
