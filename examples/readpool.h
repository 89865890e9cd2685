/* readpool.h - files read ahead on threads of their own, handed back in
 * the order they were asked for, so that a caller who adds them one by
 * one keeps its order (and every message in it) while the reading, the
 * opening and the copying out of the page cache happen on other cores.
 * One thread pushes and pops; the readers only read. */
#ifndef DEDUP_READPOOL_H
#define DEDUP_READPOOL_H

#include <stddef.h>
#include <sys/stat.h>

/* Reads path whole into *buf (malloc'd, the caller's) and *len; fills
 * *st; returns a code of the caller's, and leaves errno as it failed. */
typedef int (*readpool_fn)(const char *path, char **buf, size_t *len,
                           struct stat *st);

typedef struct readpool_job {
  char *path; /* the caller frees it (free) */
  int got;    /* what readpool_fn returned */
  int err;    /* errno after it */
  char *buf;  /* the caller frees it (free), as readpool_fn left it */
  size_t len;
  struct stat st;
} readpool_job;

typedef struct readpool readpool;

/* A pool of threads readers (>= 1).  0, or -1 (out of memory, or no
 * thread could be started: then *out is NULL). */
int readpool_new(readpool **out, unsigned threads, readpool_fn fn);
/* Stops the readers (after what they read) and frees what was not
 * popped.  NULL is a no-op. */
void readpool_free(readpool *rp);
/* 1 when a push must wait for a pop: the window of jobs is full, or the
 * bytes in flight (size hints) are many. */
int readpool_full(const readpool *rp);
/* Asks for path (copied; size: its size, as a stat said, to bound the
 * memory in flight).  0, or -1: out of memory. */
int readpool_push(readpool *rp, const char *path, size_t size);
/* The oldest job asked for, once read: 1 and *job, or 0 (none asked for;
 * or, with wait 0, the oldest not read yet). */
int readpool_pop(readpool *rp, int wait, readpool_job *job);

#endif
