/* runopt.h - dedup_corpus_run_with() for tests: threads and levels. */
#ifndef DEDUP_TEST_RUNOPT_H
#define DEDUP_TEST_RUNOPT_H

#include "dedup.h"

/* levels 0: both. */
static inline int run_opts(dedup_corpus *c, unsigned threads,
                           unsigned levels) {
  dedup_run_options o = DEDUP_RUN_OPTIONS_INIT;
  o.threads = threads;
  o.levels = levels;
  return dedup_corpus_run_with(c, &o);
}

#endif
