/* parallel.c - a parallel for over independent items (threads live here,
 * not in the kernels). */
#include "common/dedup_private.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

typedef struct pool {
  dedup__task_fn fn;
  void *ctx;
  size_t n;
  atomic_size_t next;
  atomic_int status;
} pool;

typedef struct worker_arg {
  pool *p;
  unsigned id;
} worker_arg;

static void run_worker(pool *p, unsigned id) {
  for (;;) {
    if (atomic_load(&p->status) != DEDUP_OK)
      return;
    size_t i = atomic_fetch_add(&p->next, 1);
    if (i >= p->n)
      return;
    int rc = p->fn(p->ctx, id, i);
    if (rc != DEDUP_OK) {
      int ok = DEDUP_OK;
      atomic_compare_exchange_strong(&p->status, &ok, rc);
    }
  }
}

static void *thread_main(void *arg) {
  worker_arg *w = arg;
  run_worker(w->p, w->id);
  return NULL;
}

unsigned dedup__cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1u;
}

int dedup__parallel_for(unsigned threads, size_t n, dedup__task_fn fn,
                        void *ctx) {
  pool p = {fn, ctx, n, 0, DEDUP_OK};
  if (threads > n)
    threads = (unsigned)(n ? n : 1);
  if (threads <= 1) {
    run_worker(&p, 0);
    return atomic_load(&p.status);
  }
  pthread_t *tids = dedup__calloc(threads, sizeof *tids);
  worker_arg *args = dedup__calloc(threads, sizeof *args);
  if (!tids || !args) {
    dedup__free(tids);
    dedup__free(args);
    run_worker(&p, 0);
    return atomic_load(&p.status);
  }
  unsigned started = 0;
  for (unsigned t = 1; t < threads; t++) {
    args[t].p = &p;
    args[t].id = t;
    if (pthread_create(&tids[t], NULL, thread_main, &args[t]) != 0)
      break;
    started = t;
  }
  run_worker(&p, 0); /* the calling thread is worker 0 */
  for (unsigned t = 1; t <= started; t++)
    pthread_join(tids[t], NULL);
  dedup__free(tids);
  dedup__free(args);
  return atomic_load(&p.status);
}
