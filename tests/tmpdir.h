/* tmpdir.h - a temporary directory for a test binary's files (libc and
 * POSIX only): made by tmpdir_make, named under it by path_in, removed
 * whole (modes reset on the way) by remove_tree. */
#ifndef DEDUP_TMPDIR_H
#define DEDUP_TMPDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

/* "$TMPDIR/<prefix>XXXXXX" (or under /tmp); 0, or -1 when it cannot be
 * made. */
static inline int tmpdir_make(const char *prefix) {
  const char *t = getenv("TMPDIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/%sXXXXXX", t ? t : "/tmp", prefix);
  return mkdtemp(tmpdir) ? 0 : -1;
}

static void remove_tree(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0)
    return;
  if (S_ISDIR(st.st_mode)) {
    chmod(path, 0700);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
        continue;
      char sub[1024];
      int w = snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
      if (w > 0 && (size_t)w < sizeof sub) /* names of the tests' own */
        remove_tree(sub);
    }
    if (d)
      closedir(d);
    rmdir(path);
  } else {
    unlink(path);
  }
}

/* tmpdir/name, in one of 8 buffers used in turn (so a call can take a
 * few such paths at once). */
static inline char *path_in(const char *name) {
  static char buf[8][512];
  static int k;
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
  return buf[k];
}

#endif
