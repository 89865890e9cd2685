/* readpool.c - see readpool.h.  A ring of jobs under one mutex: readers
 * take them in the order pushed, the caller pops them in that order. */
#include "readpool.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Enough jobs ahead to hide a slow open, few enough (with the bytes'
 * bound) that the buffers stay small next to the corpus. */
#define WINDOW 4096
#define MAX_BYTES ((size_t)64 << 20)
/* Sleeping readers are woken for this many jobs, not for each: a wake-up
 * is a context switch, which costs about as much as reading a page. */
#define WAKE_BATCH 16

typedef struct slot {
  readpool_job job;
  size_t size;
  int done;
} slot;

struct readpool {
  pthread_mutex_t mu;
  pthread_cond_t work; /* a job was pushed, or stop */
  pthread_cond_t done; /* a job was read */
  slot ring[WINDOW];
  size_t head, next, tail; /* popped < head <= next (taken) <= tail */
  size_t bytes;            /* size hints of the jobs not popped */
  unsigned idle;           /* readers waiting for work */
  int popper_waits;        /* the popper waits for done */
  int stop;
  readpool_fn fn;
  pthread_t *tids;
  unsigned n_tids;
};

static void *reader(void *arg) {
  readpool *rp = arg;
  pthread_mutex_lock(&rp->mu);
  for (;;) {
    while (rp->next == rp->tail && !rp->stop) {
      rp->idle++;
      pthread_cond_wait(&rp->work, &rp->mu);
      rp->idle--;
    }
    if (rp->next == rp->tail)
      break; /* stopped, and nothing left */
    slot *s = &rp->ring[rp->next++ % WINDOW];
    pthread_mutex_unlock(&rp->mu);
    readpool_job *j = &s->job;
    j->buf = NULL;
    j->len = 0;
    errno = 0;
    j->got = rp->fn(j->path, &j->buf, &j->len, &j->st);
    j->err = errno;
    pthread_mutex_lock(&rp->mu);
    s->done = 1;
    if (rp->popper_waits)
      pthread_cond_signal(&rp->done);
  }
  pthread_mutex_unlock(&rp->mu);
  return NULL;
}

int readpool_new(readpool **out, unsigned threads, readpool_fn fn) {
  *out = NULL;
  readpool *rp = calloc(1, sizeof *rp);
  if (!rp)
    return -1;
  rp->fn = fn;
  rp->tids = calloc(threads ? threads : 1, sizeof *rp->tids);
  if (!rp->tids || pthread_mutex_init(&rp->mu, NULL) != 0) {
    free(rp->tids);
    free(rp);
    return -1;
  }
  pthread_cond_init(&rp->work, NULL);
  pthread_cond_init(&rp->done, NULL);
  for (unsigned t = 0; t < threads; t++) {
    if (pthread_create(&rp->tids[t], NULL, reader, rp) != 0)
      break;
    rp->n_tids++;
  }
  if (!rp->n_tids) {
    readpool_free(rp);
    return -1;
  }
  *out = rp;
  return 0;
}

void readpool_free(readpool *rp) {
  if (!rp)
    return;
  pthread_mutex_lock(&rp->mu);
  rp->stop = 1;
  pthread_cond_broadcast(&rp->work);
  pthread_mutex_unlock(&rp->mu);
  for (unsigned t = 0; t < rp->n_tids; t++)
    pthread_join(rp->tids[t], NULL);
  for (size_t i = rp->head; i < rp->tail; i++) {
    free(rp->ring[i % WINDOW].job.path);
    free(rp->ring[i % WINDOW].job.buf);
  }
  pthread_cond_destroy(&rp->work);
  pthread_cond_destroy(&rp->done);
  pthread_mutex_destroy(&rp->mu);
  free(rp->tids);
  free(rp);
}

int readpool_full(const readpool *rp) {
  /* Only the popping thread changes head, tail and bytes: no lock. */
  return rp->tail - rp->head == WINDOW ||
         (rp->tail > rp->head && rp->bytes >= MAX_BYTES);
}

int readpool_push(readpool *rp, const char *path, size_t size) {
  assert(!readpool_full(rp));
  char *p = strdup(path);
  if (!p)
    return -1;
  pthread_mutex_lock(&rp->mu);
  slot *s = &rp->ring[rp->tail % WINDOW];
  memset(s, 0, sizeof *s);
  s->job.path = p;
  s->size = size;
  rp->bytes += size;
  rp->tail++;
  if (rp->idle && rp->tail - rp->next >= WAKE_BATCH)
    pthread_cond_signal(&rp->work);
  pthread_mutex_unlock(&rp->mu);
  return 0;
}

int readpool_pop(readpool *rp, int wait, readpool_job *job) {
  pthread_mutex_lock(&rp->mu);
  slot *s = &rp->ring[rp->head % WINDOW];
  if (wait && rp->head != rp->tail && !s->done) {
    /* Jobs short of a batch wait for no one now. */
    if (rp->idle)
      pthread_cond_broadcast(&rp->work);
    rp->popper_waits = 1;
    while (!s->done)
      pthread_cond_wait(&rp->done, &rp->mu);
    rp->popper_waits = 0;
  }
  int got = rp->head != rp->tail && s->done;
  if (got) {
    *job = s->job;
    rp->bytes -= s->size;
    rp->head++;
  }
  pthread_mutex_unlock(&rp->mu);
  return got;
}
