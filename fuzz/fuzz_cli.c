/* fuzz_cli.c - dedup-cluster's option parser and path-list reader
 * (examples/cli_args.c) on arbitrary bytes.
 *
 * The input is cut at NUL bytes into up to 64 arguments after
 * "dedup-cluster" and parsed; the same bytes are then read as a path list
 * ('-' on stdin), one a line and NUL-separated.  Checked besides memory
 * safety: a refusal comes with a message; an accepted command line has
 * values in their documented ranges, no option the --load index would fix
 * beside --load, both or neither --explain file, and operands that are
 * arguments it was given; each path read is non-empty and holds no line
 * break (lines), and a line list holding a NUL is refused - the properties
 * dedup-cluster relies on. */
#include "fuzz.h"
#include "cli_args.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_ARGS = 64 };

static int is_arg(char *const *args, int n, const char *p) {
  for (int i = 0; i < n; i++)
    if (args[i] == p)
      return 1;
  return 0;
}

static void parse(const uint8_t *data, size_t size) {
  char *buf = malloc(size + 1);
  CHECK(buf);
  memcpy(buf, data, size);
  buf[size] = '\0';
  char *argv[MAX_ARGS + 2];
  char *orig[MAX_ARGS + 2]; /* getopt permutes argv */
  int argc = 0;
  argv[argc++] = (char *)"dedup-cluster";
  for (size_t i = 0; i < size && argc <= MAX_ARGS;) {
    argv[argc++] = buf + i;
    i += strlen(buf + i) + 1;
  }
  argv[argc] = NULL;
  memcpy(orig, argv, sizeof argv);

  cli_opts o;
  char msg[1024];
  int rc = cli_parse(&o, argc, argv, msg, sizeof msg);
  CHECK(rc == 0 || rc == -1);
  for (int i = 0; i < argc; i++) /* permuted, not changed */
    CHECK(is_arg(orig, argc, argv[i]));
  if (rc != 0) {
    CHECK(msg[0] != '\0');
  } else if (!o.help && !o.version) {
    CHECK(o.format == CLI_FMT_TEXT || o.format == CLI_FMT_TSV ||
          o.format == CLI_FMT_JSON);
    CHECK(o.level == DEDUP_LEVEL_STORY || o.level == DEDUP_LEVEL_COPY);
    /* 0: the library's default; a given value is in range */
    CHECK(o.p.shingle_k <= 64);
    CHECK(o.p.num_perm <= 4096);
    CHECK(o.ro.threads <= 1024);
    CHECK(o.p.threshold >= 0 && o.p.threshold <= 1);
    CHECK(o.p.story_threshold >= 0 && o.p.story_threshold <= 1);
    CHECK(!(o.load && o.param_opt));
    CHECK(!o.load || *o.load);
    CHECK(!o.save || *o.save);
    CHECK(!o.explain[0] == !o.explain[1]);
    /* some input: files, --explain's, an index or JSON Lines (and JSON
     * Lines never with file operands); a service index (--index) may be
     * given alone (--list, --remove, --rebuild, or to make it) */
    CHECK(o.n_files > 0 || o.explain[0] || o.load || o.n_jsonl > 0 ||
          o.index);
    CHECK(!o.index || *o.index);
    CHECK(o.n_jsonl >= 0 && o.n_jsonl <= CLI_JSONL_MAX);
    CHECK(!(o.n_jsonl > 0 && o.n_files > 0));
    for (int i = 0; i < o.n_jsonl; i++)
      CHECK(o.jsonl[i] != NULL); /* an argument, or after "--jsonl=" */
    CHECK(!(o.explain[0] && o.format == CLI_FMT_TSV));
    CHECK(o.n_files >= 0 && o.n_files < argc);
    for (int i = 0; i < o.n_files; i++)
      CHECK(is_arg(orig, argc, o.files[i]));
    /* Options and operands were both accepted: a library corpus takes the
     * parameters as they are. */
    dedup_corpus *c = NULL;
    CHECK(dedup_corpus_new(&c, &o.p) == DEDUP_OK);
    dedup_corpus_free(c);
  }
  free(buf);
}

static void read_list(const uint8_t *data, size_t size, int nul) {
  if (!size)
    return;
  FILE *f = fmemopen((void *)data, size, "rb");
  CHECK(f);
  cli_paths ps = {0};
  int rc = cli_read_list(&ps, f, nul);
  CHECK(rc == 0 || (rc == -2 && !nul && memchr(data, '\0', size)));
  fclose(f);
  size_t total = 0;
  for (size_t i = 0; i < ps.n; i++) {
    size_t len = strlen(ps.v[i]);
    CHECK(len > 0);
    if (!nul)
      CHECK(!strchr(ps.v[i], '\n') && ps.v[i][len - 1] != '\r');
    total += len;
  }
  CHECK(total <= size);
  cli_paths_free(&ps);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  parse(data, size);
  read_list(data, size, 0);
  read_list(data, size, 1);
  return 0;
}
